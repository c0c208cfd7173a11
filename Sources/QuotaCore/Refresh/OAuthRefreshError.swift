/// Why a `refresh_token` grant failed (RFC 6749 §5.2 and transport-level answers). Messages never
/// contain token values: server descriptions are shortened and scrubbed of the tokens we hold.
public enum OAuthRefreshError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `error: invalid_grant`: the refresh token is invalid, expired or revoked. The account cannot
    /// recover without operator action and is disabled.
    case invalidGrant(description: String?)
    /// Any other RFC 6749 §5.2 error code (`invalid_client`, `invalid_request`, `unauthorized_client`,
    /// `unsupported_grant_type`, `invalid_scope`, `temporarily_unavailable`, ...).
    case oauthError(code: String, description: String?, statusCode: Int)
    /// A non-2xx answer without an RFC 6749 error body (proxy error page, 502, 429...).
    case httpStatus(Int)
    /// A 2xx answer that is not a usable token response; `problem` names the field.
    case malformedResponse(statusCode: Int, problem: String)
    /// The credentials hold no refresh token, so no grant can be attempted.
    case noRefreshToken

    /// The error codes that mean the client registration itself is wrong: retrying cannot help.
    static let permanentCodes: Set<String> = [
        "invalid_client", "unauthorized_client", "unsupported_grant_type", "invalid_scope", "invalid_request",
    ]

    /// Only `invalid_grant` disables the account (SPEC 2.5: the refresh token is dead).
    public var disablesAccount: Bool {
        if case .invalidGrant = self { return true }
        return false
    }

    /// Retrying later may succeed: 5xx, 408, 429, `temporarily_unavailable`, `server_error`, and
    /// malformed 2xx answers (often a transient proxy page).
    public var isRetryable: Bool {
        switch self {
        case .invalidGrant, .noRefreshToken:
            return false
        case .oauthError(let code, _, let status):
            if code == "temporarily_unavailable" || code == "server_error" { return true }
            if Self.permanentCodes.contains(code) { return false }
            return status >= 500 || status == 429 || status == 408
        case .httpStatus(let status):
            return status >= 500 || status == 429 || status == 408
        case .malformedResponse:
            return true
        }
    }

    public var description: String {
        func with(_ text: String, _ description: String?) -> String {
            guard let description, !description.isEmpty else { return text }
            return "\(text): \(description)"
        }
        switch self {
        case .invalidGrant(let description):
            return with("token endpoint rejected the refresh token (invalid_grant)", description)
        case .oauthError(let code, let description, let status):
            return with("token endpoint answered \(status) \(code)", description)
        case .httpStatus(let status):
            return "token endpoint answered HTTP \(status) without an OAuth error body"
        case .malformedResponse(let status, let problem):
            return "token endpoint answered \(status) with an unusable token response: \(problem)"
        case .noRefreshToken:
            return "credentials have no refresh_token; the account needs new credentials"
        }
    }
}
