/// The client-facing routes of the proxy (SPEC 2.1) and what each needs.
public enum ProxyRoute: Sendable, Equatable, CaseIterable {
    case chatCompletions
    case completions
    case embeddings
    case responses
    case models
    case messages
    case countTokens
    case health
    /// Prometheus metrics (`GET /metrics`): needs a client key unless `metrics.public` is set.
    case metrics

    /// Matches a request's method and path (query string excluded).
    public init?(method: String, path: Substring) {
        switch (method, path) {
        case ("POST", "/v1/chat/completions"): self = .chatCompletions
        case ("POST", "/v1/completions"): self = .completions
        case ("POST", "/v1/embeddings"): self = .embeddings
        case ("POST", "/v1/responses"): self = .responses
        case ("GET", "/v1/models"): self = .models
        case ("POST", "/v1/messages"): self = .messages
        case ("POST", "/v1/messages/count_tokens"): self = .countTokens
        case ("GET", "/healthz"): self = .health
        case ("GET", "/metrics"): self = .metrics
        default: return nil
        }
    }

    /// Whether a path exists with another method (405 rather than 404).
    public static func pathExists(_ path: Substring) -> Bool {
        ["/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/responses", "/v1/models", "/v1/messages",
         "/v1/messages/count_tokens", "/healthz", "/metrics"].contains(path)
    }

    /// The wire protocol the route is served with.
    public var provider: Provider {
        switch self {
        case .messages, .countTokens: .anthropic
        default: .openai
        }
    }

    /// The upstream path.
    public var upstreamPath: String {
        switch self {
        case .chatCompletions: "/v1/chat/completions"
        case .completions: "/v1/completions"
        case .embeddings: "/v1/embeddings"
        case .responses: "/v1/responses"
        case .models: "/v1/models"
        case .messages: "/v1/messages"
        case .countTokens: "/v1/messages/count_tokens"
        case .health: "/healthz"
        case .metrics: "/metrics"
        }
    }

    /// Whether the request is forwarded to an account (and so needs a body with `model`).
    public var isProxied: Bool {
        switch self {
        case .models, .health, .metrics: false
        default: true
        }
    }

    /// The label of the route in metrics and the request log (its path).
    public var name: String { upstreamPath }

    /// Errors on this route take the Anthropic shape.
    public var usesAnthropicErrors: Bool { provider == .anthropic }
}
