import HTTPTypes
import Hummingbird

/// The credential a request to a Google API presents.
enum GoogleCredential: Sendable, Equatable {
    /// `x-goog-api-key: KEY` or `?key=KEY`.
    case apiKey(String)
    /// `Authorization: Bearer TOKEN` (OAuth).
    case bearer(String)
    /// Nothing usable.
    case none

    /// The credential of `request`: the `x-goog-api-key` header, else the `key` query parameter,
    /// else a Bearer token.
    init(_ request: Request) {
        if let header = request.headers[.xGoogAPIKey]?.trimmingCharacters(in: .whitespaces), !header.isEmpty {
            self = .apiKey(header)
        } else if let query = request.uri.queryParameters["key"], !query.isEmpty {
            self = .apiKey(String(query))
        } else if let token = Self.bearerToken(request.headers[.authorization]) {
            self = .bearer(token)
        } else {
            self = .none
        }
    }

    private static func bearerToken(_ authorization: String?) -> String? {
        guard let authorization else { return nil }
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }

    /// The secret, if any.
    var secret: String? {
        switch self {
        case .apiKey(let value), .bearer(let value): return value
        case .none: return nil
        }
    }
}
