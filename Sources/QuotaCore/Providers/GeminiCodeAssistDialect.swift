/// Gemini behind Google's Code Assist envelope, as Google's open-source Gemini CLI calls it:
/// `{base}/v1internal:generateContent`, `:streamGenerateContent?alt=sse`, `:countTokens`, with the
/// request `{"model","project","request":<Gemini request>}` and every answer (and SSE event)
/// `{"response":<Gemini response>}`. Always OAuth (`Authorization: Bearer`); the project comes from
/// `loadCodeAssist` and is kept in the account file (`project_id`).
public struct GeminiCodeAssistDialect: ProviderDialect {
    public init() {}

    public var provider: Provider { .geminiCodeAssist }
    public var wireProtocol: WireProtocol { .gemini }
    public var usesCodeAssistEnvelope: Bool { true }

    public func apiRoot(basePath: String) -> String {
        let path = APIPath.trimmed(basePath)
        if let last = APIPath.segments(path).last, last == "v1internal" { return path }
        return path + "/v1internal"
    }

    public func target(_ operation: ModelOperation, model: String, stream: Bool, apiRoot: String) -> String? {
        switch operation {
        case .generate: stream ? apiRoot + ":streamGenerateContent?alt=sse" : apiRoot + ":generateContent"
        case .countTokens: apiRoot + ":countTokens"
        case .completions, .embeddings, .responses: nil
        }
    }

    /// The path of a Code Assist method that is not a model operation (`loadCodeAssist`,
    /// `fetchAvailableModels`).
    public func methodPath(_ method: String, apiRoot: String) -> String {
        apiRoot + ":" + method
    }

    public func credentialHeader(_ credentials: AccountCredentials) -> (name: String, value: String) {
        ("authorization", "Bearer " + credentials.bearerSecret)
    }

    /// The inner Gemini request; the caller wraps it in the envelope with the account's project.
    public func minimalRequestBody(model: String) -> [UInt8] {
        GeminiDialect().minimalRequestBody(model: model)
    }
}
