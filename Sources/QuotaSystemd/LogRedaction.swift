import Logging

/// A last line of defence: metadata whose key looks like it holds a secret is never written out
/// in clear, even if a caller passes one by mistake.
enum LogRedaction {
    static let secretKeyFragments = ["authorization", "api_key", "apikey", "token", "secret", "password", "credential"]

    static func redact(key: String, value: Logger.Metadata.Value) -> String {
        let lowered = key.lowercased()
        if secretKeyFragments.contains(where: lowered.contains) {
            return "[redacted]"
        }
        return "\(value)"
    }
}
