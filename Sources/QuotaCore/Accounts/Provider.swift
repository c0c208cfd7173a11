/// The wire protocol an account is called with.
public enum Provider: String, Codable, Sendable, CaseIterable {
    /// OpenAI-compatible: `Authorization: Bearer`, `/v1/chat/completions` and friends.
    case openai
    /// Anthropic-compatible: `x-api-key` + `anthropic-version`, `/v1/messages`.
    case anthropic
}
