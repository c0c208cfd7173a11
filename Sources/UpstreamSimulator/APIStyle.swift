/// The error/body dialect an endpoint speaks.
enum APIStyle: Sendable {
    /// `{"error": {"message", "type", "param", "code"}}`
    case openAI
    /// `{"type": "error", "error": {"type", "message"}}`
    case anthropic
    /// `{"error": {"code", "message", "status"}}` (Google / Antigravity)
    case google
}
