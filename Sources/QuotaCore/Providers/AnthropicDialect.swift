/// Anthropic-compatible upstreams: the base URL is the origin as the Anthropic SDK takes it
/// (`https://api.anthropic.com`); `/v1/...` is added unless the base already ends in `/v1`. An API
/// key goes as `x-api-key`, an OAuth access token as `Authorization: Bearer`; every request
/// carries `anthropic-version`.
public struct AnthropicDialect: ProviderDialect {
    /// The API version sent when the client sent none (the one the Messages API is documented with).
    public static let apiVersion = "2023-06-01"

    public init() {}

    public var provider: Provider { .anthropic }
    public var wireProtocol: WireProtocol { .anthropic }

    public func apiRoot(basePath: String) -> String {
        let path = APIPath.trimmed(basePath)
        if let last = APIPath.segments(path).last, APIPath.isVersionSegment(last) { return path }
        return path + "/v1"
    }

    public func target(_ operation: ModelOperation, model: String, stream: Bool, apiRoot: String) -> String? {
        switch operation {
        case .generate: apiRoot + "/messages"
        case .countTokens: apiRoot + "/messages/count_tokens"
        case .completions, .embeddings, .responses: nil
        }
    }

    public func credentialHeader(_ credentials: AccountCredentials) -> (name: String, value: String) {
        switch credentials {
        case .apiKey(let key): ("x-api-key", key)
        case .oauth(let oauth): ("authorization", "Bearer " + oauth.accessToken)
        }
    }

    public var defaultHeaders: [(name: String, value: String)] {
        [("anthropic-version", Self.apiVersion)]
    }

    public func minimalRequestBody(model: String) -> [UInt8] {
        let name = ClientErrorBody.escape(model)
        return Array(#"{"model":"\#(name)","max_tokens":1,"messages":[{"role":"user","content":"hi"}]}"#.utf8)
    }
}
