/// OpenAI-compatible upstreams: `Authorization: Bearer`, operations under an API root that
/// includes the version path (`https://api.openai.com/v1`, `https://openrouter.ai/api/v1`,
/// `…/v1beta/openai`, `…/api/paas/v4`), as the OpenAI SDK takes its `base_url`.
public struct OpenAIDialect: ProviderDialect {
    public init() {}

    public var provider: Provider { .openai }
    public var wireProtocol: WireProtocol { .openai }

    /// A path with a version segment anywhere (`/v1`, `/api/v1`, `/v1beta/openai`, `/api/paas/v4`)
    /// is the API root as written; any other path (a bare origin, or a prefix such as `/openai`
    /// from 0.1 account files) gets `/v1` appended.
    public func apiRoot(basePath: String) -> String {
        let path = APIPath.trimmed(basePath)
        if APIPath.segments(path).contains(where: APIPath.isVersionSegment) { return path }
        return path + "/v1"
    }

    public func target(_ operation: ModelOperation, model: String, stream: Bool, apiRoot: String) -> String? {
        switch operation {
        case .generate: apiRoot + "/chat/completions"
        case .completions: apiRoot + "/completions"
        case .embeddings: apiRoot + "/embeddings"
        case .responses: apiRoot + "/responses"
        case .countTokens: nil
        }
    }

    public func credentialHeader(_ credentials: AccountCredentials) -> (name: String, value: String) {
        ("authorization", "Bearer " + credentials.bearerSecret)
    }

    public func minimalRequestBody(model: String) -> [UInt8] {
        let name = ClientErrorBody.escape(model)
        return Array(#"{"model":"\#(name)","messages":[{"role":"user","content":"hi"}],"max_tokens":1,"stream":false}"#.utf8)
    }
}
