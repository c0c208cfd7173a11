/// The wire protocol an account is called with (SPEC 2.7). Everything provider-specific about
/// calling it lives in its ``ProviderDialect`` (``dialect``).
public enum Provider: String, Codable, Sendable, CaseIterable {
    /// OpenAI-compatible: `Authorization: Bearer`, `{base}/chat/completions` and friends.
    case openai
    /// Anthropic-compatible: `x-api-key` + `anthropic-version`, `{base}/v1/messages`.
    case anthropic
    /// The public Gemini API: `{base}/v1beta/models/{model}:generateContent`, `x-goog-api-key`.
    case gemini
    /// Gemini behind Google's Code Assist envelope: `{base}/v1internal:generateContent` with
    /// `{"model","project","request"}`.
    case geminiCodeAssist = "gemini-code-assist"

    /// The body dialect the provider's requests and answers are written in.
    public var wireProtocol: WireProtocol { dialect.wireProtocol }

    /// Everything provider-specific: URLs, credentials, default headers, warmup bodies.
    public var dialect: any ProviderDialect {
        switch self {
        case .openai: OpenAIDialect()
        case .anthropic: AnthropicDialect()
        case .gemini: GeminiDialect()
        case .geminiCodeAssist: GeminiCodeAssistDialect()
        }
    }

    /// The provider's position in ``allCases`` (for tables indexed by provider).
    public var ordinal: Int {
        switch self {
        case .openai: 0
        case .anthropic: 1
        case .gemini: 2
        case .geminiCodeAssist: 3
        }
    }

    /// The accepted spellings, for error messages.
    public static var namesForMessages: String {
        allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
    }
}
