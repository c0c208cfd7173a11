/// The upstream routes that serve a model and therefore carry quota headers.
enum ModelRoute: Sendable, Equatable {
    case chatCompletions
    case completions
    case embeddings
    case responses
    case messages
    case countTokens

    /// The error dialect of the route.
    var style: APIStyle {
        switch self {
        case .messages, .countTokens: return .anthropic
        case .chatCompletions, .completions, .embeddings, .responses: return .openAI
        }
    }

    /// Whether a successful answer takes one request from the model's quota.
    /// (`count_tokens` only reports the headers, as Anthropic meters it separately.)
    var consumesQuota: Bool { self != .countTokens }

    /// Whether the request must carry `anthropic-version`.
    var requiresAnthropicVersion: Bool { style == .anthropic }

    /// Whether `"stream": true` is honoured.
    var supportsStreaming: Bool {
        switch self {
        case .chatCompletions, .completions, .responses, .messages: return true
        case .embeddings, .countTokens: return false
        }
    }
}
