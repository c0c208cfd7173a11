/// The client-facing routes of the proxy (SPEC 2.1, 2.7) and what each needs.
///
/// A route fixes the client's protocol (``clientProtocol``: the dialect of its bodies and of the
/// errors the proxy answers with) and, for a proxied route, the ``operation`` it asks for. Which
/// account serves it is a separate matter: any provider that can do the operation, natively or
/// through translation.
public enum ProxyRoute: Sendable, Equatable, CaseIterable {
    case chatCompletions
    case completions
    case embeddings
    case responses
    case models
    /// `GET /v1/models/{id}`.
    case model
    case messages
    case countTokens
    /// `POST /v1beta/models/{model}:generateContent`.
    case geminiGenerate
    /// `POST /v1beta/models/{model}:streamGenerateContent` (`?alt=sse`).
    case geminiStream
    /// `POST /v1beta/models/{model}:countTokens`.
    case geminiCountTokens
    /// `GET /v1beta/models`.
    case geminiModels
    /// `GET /v1beta/models/{model}`.
    case geminiModel
    case health
    /// Prometheus metrics (`GET /metrics`): needs a client key unless `metrics.public` is set.
    case metrics
    /// The operators' dashboard (`/dashboard/…`) and its admin API (`/admin/api/…`), any method:
    /// answered by the admin router with its own key (`admin_api_keys`), never a client key.
    case admin

    /// A matched request: the route, and the model named in the path (Gemini routes,
    /// `GET /v1/models/{id}`), still percent-encoded as sent.
    public struct Match: Sendable, Equatable {
        public var route: ProxyRoute
        public var pathModel: Substring?

        public init(route: ProxyRoute, pathModel: Substring? = nil) {
            self.route = route
            self.pathModel = pathModel
        }
    }

    /// Matches a request's method and path (query string excluded).
    public init?(method: String, path: Substring) {
        guard let match = Self.match(method: method, path: path) else { return nil }
        self = match.route
    }

    /// Matches a request's method and path (query string excluded), with the model the path names.
    public static func match(method: String, path: Substring) -> Match? {
        switch (method, path) {
        case ("POST", "/v1/chat/completions"): return Match(route: .chatCompletions)
        case ("POST", "/v1/completions"): return Match(route: .completions)
        case ("POST", "/v1/embeddings"): return Match(route: .embeddings)
        case ("POST", "/v1/responses"): return Match(route: .responses)
        case ("GET", "/v1/models"): return Match(route: .models)
        case ("POST", "/v1/messages"): return Match(route: .messages)
        case ("POST", "/v1/messages/count_tokens"): return Match(route: .countTokens)
        case ("GET", "/healthz"): return Match(route: .health)
        case ("GET", "/metrics"): return Match(route: .metrics)
        case ("GET", "/v1beta/models"): return Match(route: .geminiModels)
        default: break
        }
        if path == "/dashboard" || path.hasPrefix("/dashboard/") || path.hasPrefix("/admin/api/") {
            return Match(route: .admin)
        }
        if method == "GET", let model = tail(of: path, after: "/v1/models/"), !model.contains("/") {
            return Match(route: .model, pathModel: model)
        }
        guard let rest = tail(of: path, after: "/v1beta/models/"), !rest.contains("/") else { return nil }
        guard let colon = rest.lastIndex(of: ":") else {
            return method == "GET" ? Match(route: .geminiModel, pathModel: rest) : nil
        }
        let model = rest[..<colon]
        guard method == "POST", !model.isEmpty else { return nil }
        switch rest[rest.index(after: colon)...] {
        case "generateContent": return Match(route: .geminiGenerate, pathModel: model)
        case "streamGenerateContent": return Match(route: .geminiStream, pathModel: model)
        case "countTokens": return Match(route: .geminiCountTokens, pathModel: model)
        default: return nil
        }
    }

    /// The non-empty rest of `path` after `prefix`.
    private static func tail(of path: Substring, after prefix: String) -> Substring? {
        guard path.hasPrefix(prefix) else { return nil }
        let rest = path.dropFirst(prefix.utf8.count)
        return rest.isEmpty ? nil : rest
    }

    /// Whether a path exists with another method (405 rather than 404).
    public static func pathExists(_ path: Substring) -> Bool {
        ["/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/responses", "/v1/models", "/v1/messages",
         "/v1/messages/count_tokens", "/healthz", "/metrics", "/v1beta/models"].contains(path)
            || match(method: "GET", path: path) != nil || match(method: "POST", path: path) != nil
    }

    /// The protocol the client speaks on this route: its bodies and the shape of its errors.
    public var clientProtocol: WireProtocol {
        switch self {
        case .messages, .countTokens: .anthropic
        case .geminiGenerate, .geminiStream, .geminiCountTokens, .geminiModels, .geminiModel: .gemini
        case .chatCompletions, .completions, .embeddings, .responses, .models, .model, .health, .metrics, .admin: .openai
        }
    }

    /// What a proxied route asks an upstream to do; `nil` for routes the proxy answers itself.
    public var operation: ModelOperation? {
        switch self {
        case .chatCompletions, .messages, .geminiGenerate, .geminiStream: .generate
        case .countTokens, .geminiCountTokens: .countTokens
        case .completions: .completions
        case .embeddings: .embeddings
        case .responses: .responses
        case .models, .model, .geminiModels, .geminiModel, .health, .metrics, .admin: nil
        }
    }

    /// Whether the model is named in the path rather than in the body's `model` field.
    public var modelInPath: Bool {
        switch self {
        case .geminiGenerate, .geminiStream, .geminiCountTokens, .model, .geminiModel: true
        default: false
        }
    }

    /// Whether the route itself asks for a streamed answer (Gemini's `:streamGenerateContent`);
    /// other routes say so in the body (`"stream": true`).
    public var streamsByPath: Bool { self == .geminiStream }

    /// The (non-streaming) generate route of a protocol.
    public static func generateRoute(of wireProtocol: WireProtocol) -> ProxyRoute {
        switch wireProtocol {
        case .openai: .chatCompletions
        case .anthropic: .messages
        case .gemini: .geminiGenerate
        }
    }

    /// Whether the request is forwarded to an account.
    public var isProxied: Bool { operation != nil }

    /// The label of the route in metrics and the request log: its path, with `{model}` / `{id}`
    /// for the part that names a model (so labels stay few).
    public var name: String {
        switch self {
        case .chatCompletions: "/v1/chat/completions"
        case .completions: "/v1/completions"
        case .embeddings: "/v1/embeddings"
        case .responses: "/v1/responses"
        case .models: "/v1/models"
        case .model: "/v1/models/{id}"
        case .messages: "/v1/messages"
        case .countTokens: "/v1/messages/count_tokens"
        case .geminiGenerate: "/v1beta/models/{model}:generateContent"
        case .geminiStream: "/v1beta/models/{model}:streamGenerateContent"
        case .geminiCountTokens: "/v1beta/models/{model}:countTokens"
        case .geminiModels: "/v1beta/models"
        case .geminiModel: "/v1beta/models/{model}"
        case .health: "/healthz"
        case .metrics: "/metrics"
        case .admin: "/admin"
        }
    }
}
