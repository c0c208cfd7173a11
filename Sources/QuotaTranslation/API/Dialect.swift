/// The protocol a client speaks to the proxy.
public enum ClientDialect: String, Sendable, CaseIterable {
    /// OpenAI Chat Completions (`POST /v1/chat/completions`).
    case openAI = "openai"
    /// Anthropic Messages (`POST /v1/messages`, `/v1/messages/count_tokens`).
    case anthropic
    /// Gemini `generateContent` / `streamGenerateContent?alt=sse` / `countTokens`.
    case gemini
}

/// The protocol an upstream account is called with (SPEC §2.7).
public enum UpstreamDialect: String, Sendable, CaseIterable {
    /// OpenAI Chat Completions.
    case openAI = "openai"
    /// Anthropic Messages.
    case anthropic
    /// Gemini API (`/v1beta/models/{model}:generateContent`); the model and streaming are in the URL.
    case gemini
    /// Gemini Code Assist (`/v1internal:generateContent`): a Gemini request inside
    /// `{"model","project","request"}`, every answer and SSE event inside `{"response":…}`.
    case geminiCodeAssist = "gemini-code-assist"

    /// The chat protocol spoken inside the envelope.
    var chatProtocol: ChatProtocol {
        switch self {
        case .openAI: .openAI
        case .anthropic: .anthropic
        case .gemini, .geminiCodeAssist: .gemini
        }
    }
}

extension ClientDialect {
    var chatProtocol: ChatProtocol {
        switch self {
        case .openAI: .openAI
        case .anthropic: .anthropic
        case .gemini: .gemini
        }
    }
}

/// The three chat protocols the translators know (Code Assist is Gemini in an envelope).
enum ChatProtocol: Sendable, Equatable {
    case openAI
    case anthropic
    case gemini

    var displayName: String {
        switch self {
        case .openAI: "OpenAI Chat Completions"
        case .anthropic: "Anthropic Messages"
        case .gemini: "Gemini"
        }
    }
}

/// What a request asks the upstream to do.
public enum ExchangeKind: Sendable, Equatable {
    /// Generate an answer (chat completion, message, generateContent).
    case generate
    /// Count the request's input tokens (Anthropic `count_tokens`, Gemini `countTokens`).
    case countTokens
}
