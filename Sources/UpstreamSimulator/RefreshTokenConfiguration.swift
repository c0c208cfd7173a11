import Foundation

/// How the OAuth2 token endpoint (`POST /oauth/token`) treats one refresh token.
///
/// JSON (as a value of `refresh_tokens`, keyed by the refresh token itself):
/// `{"key_template": "sk-oauth", "rotate": true, "expires_in": 3600}`.
///
/// A successful `grant_type=refresh_token` call mints a new access token `at-<random>` that
/// becomes a valid key with a copy of the models, quotas (current counters, new window),
/// `strict_models` and `forbidden` flag of the key named by `key_template` (its fault is not
/// copied). With `rotate` the answer carries a new refresh token `rt-<random>` with the same
/// configuration and the presented one is revoked (a second use gets `invalid_grant`); without it
/// the same refresh token is returned and stays valid. With `client_id` (and `client_secret`) the
/// grant must carry that client, else `401 invalid_client` (as Google's token endpoint answers).
public struct RefreshTokenConfiguration: Codable, Sendable, Equatable {
    /// The configured key whose quotas the new access tokens inherit.
    public var keyTemplate: String
    /// Issue a new refresh token on each use and revoke the old one.
    public var rotate: Bool
    /// `expires_in` announced for new access tokens, in seconds.
    public var expiresIn: Int
    /// The OAuth client the grant must name (`client_id`); `nil`: any or none.
    public var clientID: String?
    /// The secret the grant must carry with ``clientID`` (`client_secret`).
    public var clientSecret: String?

    /// Creates a refresh token configuration.
    public init(keyTemplate: String, rotate: Bool = false, expiresIn: Int = 3600, clientID: String? = nil, clientSecret: String? = nil) {
        self.keyTemplate = keyTemplate
        self.rotate = rotate
        self.expiresIn = expiresIn
        self.clientID = clientID
        self.clientSecret = clientSecret
    }

    enum CodingKeys: String, CodingKey {
        case keyTemplate = "key_template"
        case rotate
        case expiresIn = "expires_in"
        case clientID = "client_id"
        case clientSecret = "client_secret"
    }

    /// Decodes; `rotate` defaults to false, `expires_in` to 3600.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.keyTemplate = try container.decode(String.self, forKey: .keyTemplate)
        self.rotate = try container.decodeIfPresent(Bool.self, forKey: .rotate) ?? false
        self.expiresIn = try container.decodeIfPresent(Int.self, forKey: .expiresIn) ?? 3600
        self.clientID = try container.decodeIfPresent(String.self, forKey: .clientID)
        self.clientSecret = try container.decodeIfPresent(String.self, forKey: .clientSecret)
    }
}
