/// What a proxied request asks an upstream to do, independent of the protocol it is written in.
///
/// `generate` and `countTokens` exist in more than one protocol and can be translated; the others
/// exist only in OpenAI's API and go to OpenAI accounts only.
public enum ModelOperation: String, Sendable, CaseIterable, Hashable {
    /// Chat Completions, Messages, `generateContent` (plain or streamed).
    case generate
    /// Anthropic `count_tokens`, Gemini `countTokens`.
    case countTokens = "count_tokens"
    /// OpenAI `/embeddings`.
    case embeddings
    /// OpenAI legacy `/completions`.
    case completions
    /// OpenAI `/responses`.
    case responses

    /// Whether a request of this operation can be translated between protocols.
    public var isTranslatable: Bool {
        switch self {
        case .generate, .countTokens: true
        case .embeddings, .completions, .responses: false
        }
    }
}
