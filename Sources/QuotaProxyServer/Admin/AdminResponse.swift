import Foundation
import NIOHTTP1
import QuotaCore

/// An answer of the dashboard or the admin API: status, content type, headers, body. Every answer
/// carries the security headers (``securityHeaders``).
struct AdminResponse: Sendable {
    var status: HTTPResponseStatus
    var contentType: String
    var headers: [(String, String)]
    var body: [UInt8]

    /// The page may load only its own files and talk only to its own origin; it is never framed,
    /// answers are never cached or sniffed, and no referrer leaks a URL.
    static let securityHeaders: [(String, String)] = [
        ("content-security-policy", "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("cache-control", "no-store"),
    ]

    init(status: HTTPResponseStatus, contentType: String, headers: [(String, String)] = [], body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.headers = Self.securityHeaders + headers
        self.body = body
    }

    /// A JSON answer.
    static func json(_ value: JSONValue, status: HTTPResponseStatus = .ok) -> AdminResponse {
        AdminResponse(status: status, contentType: "application/json; charset=utf-8", body: encode(value))
    }

    /// An error: `{"error":{"code":"…","message":"…"}}` (the message never holds a secret).
    static func error(_ status: HTTPResponseStatus, code: String, _ message: String, headers: [(String, String)] = []) -> AdminResponse {
        AdminResponse(
            status: status, contentType: "application/json; charset=utf-8", headers: headers,
            body: encode(["error": ["code": .string(code), "message": .string(message)]]))
    }

    static func encode(_ value: JSONValue) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(value)) ?? Data(#"{"error":{"code":"internal","message":"cannot encode the answer"}}"#.utf8))
    }
}
