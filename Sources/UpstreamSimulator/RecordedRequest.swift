import Foundation

/// A request as the simulator received it, kept so tests can check what a proxy forwarded.
///
/// JSON: `{"method": "POST", "path": "/v1/chat/completions", "headers": {"authorization": "Bearer sk-a", ...}, "body": "{...}"}`.
/// Header names are lower-cased; repeated headers are joined with ", ". The body is the exact bytes
/// received, decoded as UTF-8.
public struct RecordedRequest: Codable, Sendable, Equatable {
    /// HTTP method.
    public var method: String
    /// Request path (without query).
    public var path: String
    /// Headers by lower-cased name.
    public var headers: [String: String]
    /// The raw body as text.
    public var body: String

    /// Creates a record.
    public init(method: String, path: String, headers: [String: String], body: String) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
    }
}
