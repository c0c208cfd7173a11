/// A route of the public Gemini API: `/v1beta/models[/{model}[:{method}]]` (also under `/v1/`
/// for the model methods).
enum GeminiRoute: Sendable, Equatable {
    /// `GET /v1beta/models`
    case listModels
    /// `GET /v1beta/models/{model}`
    case getModel(String)
    /// `POST …/models/{model}:generateContent` or `:streamGenerateContent`
    case generate(model: String, stream: Bool)
    /// `POST …/models/{model}:countTokens`
    case countTokens(model: String)
    /// `POST …/models/{model}:{other}` (answered 404 like the real API)
    case unknownMethod(model: String, method: String)

    /// Parses a routing path; `nil` when it is not a Gemini API path.
    init?(path: String) {
        if path == "/v1beta/models" {
            self = .listModels
            return
        }
        let rest: Substring
        if path.hasPrefix("/v1beta/models/") {
            rest = path.dropFirst("/v1beta/models/".count)
        } else if path.hasPrefix("/v1/models/"), path.contains(":") {
            rest = path.dropFirst("/v1/models/".count)
        } else {
            return nil
        }
        guard !rest.isEmpty, !rest.contains("/") else { return nil }
        guard let colon = rest.lastIndex(of: ":") else {
            self = .getModel(String(rest))
            return
        }
        let model = String(rest[..<colon])
        let method = String(rest[rest.index(after: colon)...])
        guard !model.isEmpty else { return nil }
        switch method {
        case "generateContent": self = .generate(model: model, stream: false)
        case "streamGenerateContent": self = .generate(model: model, stream: true)
        case "countTokens": self = .countTokens(model: model)
        default: self = .unknownMethod(model: model, method: method)
        }
    }

    /// The method name, for messages.
    var methodName: String {
        switch self {
        case .listModels: return "models.list"
        case .getModel: return "models.get"
        case .generate(_, let stream): return stream ? "streamGenerateContent" : "generateContent"
        case .countTokens: return "countTokens"
        case .unknownMethod(_, let method): return method
        }
    }
}
