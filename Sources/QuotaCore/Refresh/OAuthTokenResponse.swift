import Foundation

/// A successful token endpoint answer (RFC 6749 §5.1) to a `refresh_token` grant.
///
/// Parsing is lenient where real providers differ and strict where a wrong value would break the
/// account: `access_token` must be a non-empty string; `token_type` is recorded but not enforced
/// (some providers omit it); `expires_in` may be a number or a numeric string and must be positive;
/// `refresh_token` is optional (when present and non-empty it is a rotated token that replaces the
/// old one). A 2xx answer carrying an `error` field instead of a token (some providers do this) is an
/// error answer.
public struct OAuthTokenResponse: Sendable, Equatable {
    public var accessToken: String
    public var tokenType: String?
    /// Lifetime of the access token in seconds; `nil` when the server did not say.
    public var expiresIn: Int?
    /// A rotated refresh token, when the server issued one.
    public var refreshToken: String?
    public var scope: String?

    public init(accessToken: String, tokenType: String? = nil, expiresIn: Int? = nil, refreshToken: String? = nil, scope: String? = nil) {
        self.accessToken = accessToken
        self.tokenType = tokenType
        self.expiresIn = expiresIn
        self.refreshToken = refreshToken
        self.scope = scope
    }

    /// Interprets a token endpoint answer. `statusCode` is the HTTP status, `body` the raw bytes.
    public static func parse(statusCode: Int, body: Data) -> Result<OAuthTokenResponse, OAuthRefreshError> {
        let document = try? JSONDecoder().decode(JSONValue.self, from: body)
        let object = document?.objectValue

        if let object, case .string(let code)? = object["error"], !code.isEmpty,
            !(200..<300).contains(statusCode) || object["access_token"] == nil
        {
            let description = sanitize(object["error_description"]?.stringValue)
            if code == "invalid_grant" { return .failure(.invalidGrant(description: description)) }
            return .failure(.oauthError(code: code, description: description, statusCode: statusCode))
        }
        guard (200..<300).contains(statusCode) else { return .failure(.httpStatus(statusCode)) }
        guard let object else {
            return .failure(.malformedResponse(statusCode: statusCode, problem: document == nil ? "body is not JSON" : "body is not a JSON object"))
        }
        func fail(_ problem: String) -> Result<OAuthTokenResponse, OAuthRefreshError> {
            .failure(.malformedResponse(statusCode: statusCode, problem: problem))
        }

        guard let accessValue = object["access_token"], accessValue != .null else { return fail("access_token is missing") }
        guard case .string(let accessToken) = accessValue else {
            return fail("access_token must be a string, got \(accessValue.kindDescription)")
        }
        guard !accessToken.isEmpty else { return fail("access_token is empty") }

        var tokenType: String?
        if let value = object["token_type"], value != .null {
            guard case .string(let text) = value else { return fail("token_type must be a string, got \(value.kindDescription)") }
            tokenType = text
        }

        var expiresIn: Int?
        if let value = object["expires_in"], value != .null {
            let seconds: Double?
            switch value {
            case .number(let number): seconds = number
            case .string(let text): seconds = Double(text.trimmingCharacters(in: .whitespaces))
            default: seconds = nil
            }
            guard let seconds, seconds.isFinite else {
                return fail("expires_in must be a number of seconds, got \(value.kindDescription)")
            }
            guard seconds > 0, seconds < 1e12 else { return fail("expires_in must be a positive number of seconds") }
            expiresIn = Int(seconds.rounded(.down))
        }

        var refreshToken: String?
        if let value = object["refresh_token"], value != .null {
            guard case .string(let text) = value else { return fail("refresh_token must be a string, got \(value.kindDescription)") }
            refreshToken = text.isEmpty ? nil : text
        }

        return .success(
            OAuthTokenResponse(
                accessToken: accessToken, tokenType: tokenType, expiresIn: expiresIn,
                refreshToken: refreshToken, scope: object["scope"]?.stringValue))
    }

    /// The credentials after this answer: new access token, `expiresAt = now + expires_in` (or
    /// `nil` when the server gave no lifetime), the rotated refresh token if one came (else the old
    /// one is kept), the same token URL.
    public func applied(to credentials: OAuthCredentials, now: Date) -> OAuthCredentials {
        var renewed = credentials  // token URL and OAuth client stay as they are
        renewed.accessToken = accessToken
        renewed.refreshToken = refreshToken ?? credentials.refreshToken
        renewed.expiresAt = expiresIn.map { now.addingTimeInterval(TimeInterval($0)) }
        return renewed
    }

    /// Server text kept for the operator: first line, at most 200 characters.
    static func sanitize(_ text: String?) -> String? {
        guard let text else { return nil }
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return nil }
        return trimmed.count > 200 ? String(trimmed.prefix(200)) + "…" : trimmed
    }
}
