/// The public Gemini API: `{base}/v1beta/models/{model}:generateContent`,
/// `:streamGenerateContent?alt=sse` and `:countTokens`; the base is the origin as Google's SDK takes
/// it (`https://generativelanguage.googleapis.com`), `/v1beta` added unless the base ends in a
/// version. An API key goes as `x-goog-api-key`, an OAuth access token as `Authorization: Bearer`.
public struct GeminiDialect: ProviderDialect {
    public init() {}

    public var provider: Provider { .gemini }
    public var wireProtocol: WireProtocol { .gemini }

    public func apiRoot(basePath: String) -> String {
        let path = APIPath.trimmed(basePath)
        if let last = APIPath.segments(path).last, APIPath.isVersionSegment(last) { return path }
        return path + "/v1beta"
    }

    public func target(_ operation: ModelOperation, model: String, stream: Bool, apiRoot: String) -> String? {
        let prefix = apiRoot + "/models/" + APIPath.segment(model)
        switch operation {
        case .generate: return stream ? prefix + ":streamGenerateContent?alt=sse" : prefix + ":generateContent"
        case .countTokens: return prefix + ":countTokens"
        case .completions, .embeddings, .responses: return nil
        }
    }

    public func credentialHeader(_ credentials: AccountCredentials) -> (name: String, value: String) {
        switch credentials {
        case .apiKey(let key): ("x-goog-api-key", key)
        case .oauth(let oauth): ("authorization", "Bearer " + oauth.accessToken)
        }
    }

    public func minimalRequestBody(model: String) -> [UInt8] {
        Array(#"{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"generationConfig":{"maxOutputTokens":1}}"#.utf8)
    }
}
