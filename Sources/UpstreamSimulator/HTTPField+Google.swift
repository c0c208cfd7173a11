import HTTPTypes

extension HTTPField.Name {
    /// The Gemini API's key header.
    static let xGoogAPIKey = Self("x-goog-api-key")!
}
