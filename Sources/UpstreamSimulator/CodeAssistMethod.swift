/// A Code Assist method: `POST /v1internal:{method}`.
enum CodeAssistMethod: String, Sendable, CaseIterable {
    case generateContent
    case streamGenerateContent
    case countTokens
    case loadCodeAssist
    case fetchAvailableModels

    /// Parses a routing path such as `/v1internal:generateContent`.
    init?(path: String) {
        guard path.hasPrefix("/v1internal:") else { return nil }
        self.init(rawValue: String(path.dropFirst("/v1internal:".count)))
    }

    /// Fields of the generate envelope; Code Assist rejects any other top-level name with 400.
    static let envelopeFields: Set<String> = [
        "model", "project", "request", "user_prompt_id", "userPromptId", "requestId", "userAgent", "requestType", "enabledCreditTypes",
    ]
}
