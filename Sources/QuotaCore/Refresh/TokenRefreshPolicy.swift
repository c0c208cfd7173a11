import Foundation

/// When to renew OAuth credentials (SPEC 2.5, RFC 6749 §6 `refresh_token` grant) and how a token
/// endpoint answer turns into new credentials. Pure: the refresher does the HTTP call.
public enum TokenRefreshPolicy {
    /// Whether the credentials need a refresh now: OAuth credentials whose `expiresAt` is within
    /// `leadSeconds` of `now` (or past), or whose expiry is unknown and access token empty. An API key
    /// never does. An unknown expiry with a non-empty token is used as is (a 401 triggers a refresh).
    public static func needsRefresh(_ credentials: AccountCredentials, now: Date, leadSeconds: Int) -> Bool {
        guard case .oauth(let oauth) = credentials else { return false }
        return needsRefresh(oauth, now: now, leadSeconds: leadSeconds)
    }

    /// The same rule for OAuth credentials directly.
    public static func needsRefresh(_ oauth: OAuthCredentials, now: Date, leadSeconds: Int) -> Bool {
        if oauth.accessToken.isEmpty { return true }
        guard let expiresAt = oauth.expiresAt else { return false }
        return expiresAt.timeIntervalSince(now) <= TimeInterval(leadSeconds)
    }

    /// The full decision, including when to look again and whether a refresh is possible at all.
    public static func decide(_ credentials: AccountCredentials, now: Date, leadSeconds: Int) -> TokenRefreshDecision {
        guard case .oauth(let oauth) = credentials else { return .notRefreshable }
        if needsRefresh(oauth, now: now, leadSeconds: leadSeconds) {
            return oauth.refreshToken.isEmpty ? .cannotRefresh : .refreshNow
        }
        return .fresh(refreshAt: oauth.expiresAt?.addingTimeInterval(-TimeInterval(leadSeconds)))
    }

    /// The form body of the grant (`application/x-www-form-urlencoded`):
    /// `grant_type=refresh_token&refresh_token=…` plus `client_id` when given. Contains the secret:
    /// never log it.
    public static func requestBody(refreshToken: String, clientID: String? = nil, clientSecret: String? = nil) -> Data {
        var pairs = [("grant_type", "refresh_token"), ("refresh_token", refreshToken)]
        if let clientID { pairs.append(("client_id", clientID)) }
        if let clientSecret { pairs.append(("client_secret", clientSecret)) }
        let text = pairs.map { "\(formEncode($0.0))=\(formEncode($0.1))" }.joined(separator: "&")
        return Data(text.utf8)
    }

    /// The `Content-Type` of ``requestBody(refreshToken:clientID:)``.
    public static let requestContentType = "application/x-www-form-urlencoded"

    /// Turns the token endpoint's answer into the account's new credentials, or an error. Any token
    /// value that the server echoes in its error description is masked.
    public static func apply(statusCode: Int, body: Data, to credentials: OAuthCredentials, now: Date)
        -> Result<OAuthCredentials, OAuthRefreshError>
    {
        switch OAuthTokenResponse.parse(statusCode: statusCode, body: body) {
        case .success(let response):
            return .success(response.applied(to: credentials, now: now))
        case .failure(let error):
            return .failure(
                scrub(error, secrets: [credentials.refreshToken, credentials.accessToken, credentials.clientSecret ?? ""].filter { !$0.isEmpty }))
        }
    }

    static func scrub(_ error: OAuthRefreshError, secrets: [String]) -> OAuthRefreshError {
        func clean(_ text: String?) -> String? {
            guard var text else { return nil }
            for secret in secrets where secret.count >= 6 {
                text = text.replacingOccurrences(of: secret, with: SecretMasker.mask(secret))
            }
            return text
        }
        switch error {
        case .invalidGrant(let description):
            return .invalidGrant(description: clean(description))
        case .oauthError(let code, let description, let status):
            return .oauthError(code: code, description: clean(description), statusCode: status)
        default:
            return error
        }
    }

    /// RFC 3986 unreserved characters stay, everything else is percent-encoded (space as `%20`).
    private static func formEncode(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                result += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return result
    }
}
