import Foundation

/// A model request's body, parsed leniently.
struct ModelRequestBody: Sendable {
    let json: JSONValue?
    let byteCount: Int

    var model: String? { json?["model"]?.stringValue }
    var stream: Bool { json?["stream"]?.boolValue ?? false }
    /// The smallest output cap the body sets (`max_tokens`, `max_completion_tokens`, `max_output_tokens`).
    var maxTokens: Int? {
        ["max_tokens", "max_completion_tokens", "max_output_tokens"].compactMap { json?[$0]?.intValue }.min()
    }
}
