/// The body dialect of a request or an answer: what a client speaks (its route) and what an
/// account's provider takes. Two protocols that differ are bridged by translation.
public enum WireProtocol: String, Sendable, CaseIterable, Hashable {
    /// OpenAI Chat Completions (and the other `/v1/...` OpenAI routes).
    case openai
    /// Anthropic Messages.
    case anthropic
    /// Gemini `generateContent`.
    case gemini

    /// The providers whose answers need no translation for a client of this protocol, first in
    /// the order they are preferred.
    public var nativeProviders: [Provider] {
        switch self {
        case .openai: [.openai]
        case .anthropic: [.anthropic]
        case .gemini: [.gemini, .geminiCodeAssist]
        }
    }
}
