import Foundation

/// The secret an account is called with: a static API key, or an OAuth2 access token that the
/// refresher renews with its refresh token.
public enum AccountCredentials: Sendable, Equatable {
    case apiKey(String)
    /// Boxed: an OAuth credential is six fields, and an account's value is copied into every
    /// event loop's routing state; API-key accounts (most of a large pool) stay small.
    indirect case oauth(OAuthCredentials)

    /// The value sent upstream (`Authorization: Bearer …` or `x-api-key: …`).
    public var bearerSecret: String {
        switch self {
        case .apiKey(let key): key
        case .oauth(let oauth): oauth.accessToken
        }
    }

    /// A form safe for logs and operator output.
    public var masked: String {
        SecretMasker.mask(bearerSecret)
    }
}

/// OAuth2 credentials (RFC 6749): an access token, the refresh token that renews it, when it
/// expires and where to renew it.
public struct OAuthCredentials: Sendable, Equatable {
    public var accessToken: String
    public var refreshToken: String
    /// When the access token expires; `nil` when unknown.
    public var expiresAt: Date?
    /// The token endpoint the `refresh_token` grant is posted to; empty when the account file has
    /// none (then `providers.<provider>.oauth.token_url` of the configuration is used).
    public var tokenURL: String
    /// The OAuth client the tokens were issued to (`client_id`), sent with the `refresh_token`
    /// grant when set (Google's token endpoint requires it). Written by the operator.
    public var clientID: String?
    /// The OAuth client's secret (`client_secret`), sent with `client_id`. Never logged.
    public var clientSecret: String?

    public init(accessToken: String, refreshToken: String, expiresAt: Date?, tokenURL: String) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.expiresAt = expiresAt
        self.tokenURL = tokenURL
    }
}

extension AccountCredentials: Codable {
    enum CodingKeys: String, CodingKey {
        case apiKey = "api_key"
        case accessToken = "access_token"
        case refreshToken = "refresh_token"
        case expiresAt = "expires_at"
        case tokenURL = "token_url"
        case clientID = "client_id"
        case clientSecret = "client_secret"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let key = try container.decodeIfPresent(String.self, forKey: .apiKey) {
            self = .apiKey(key)
            return
        }
        guard container.contains(.accessToken) else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: container.codingPath,
                    debugDescription: "credentials need either \"api_key\" or \"access_token\" + \"refresh_token\" (+ \"token_url\" unless the configuration's providers.<provider>.oauth.token_url gives it)"
                )
            )
        }
        let expiresAt: Date?
        if let seconds = try? container.decodeIfPresent(Double.self, forKey: .expiresAt) {
            expiresAt = Date(timeIntervalSince1970: seconds)
        } else if let text = try container.decodeIfPresent(String.self, forKey: .expiresAt) {
            guard let date = Timestamp.parse(text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .expiresAt, in: container,
                    debugDescription: "expires_at must be unix seconds or an RFC 3339 time, got \"\(text)\"")
            }
            expiresAt = date
        } else {
            expiresAt = nil
        }
        var oauth = OAuthCredentials(
            accessToken: try container.decode(String.self, forKey: .accessToken),
            refreshToken: try container.decode(String.self, forKey: .refreshToken),
            expiresAt: expiresAt,
            tokenURL: try container.decodeIfPresent(String.self, forKey: .tokenURL) ?? ""
        )
        oauth.clientID = try container.decodeIfPresent(String.self, forKey: .clientID)
        oauth.clientSecret = try container.decodeIfPresent(String.self, forKey: .clientSecret)
        self = .oauth(oauth)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .apiKey(let key):
            try container.encode(key, forKey: .apiKey)
        case .oauth(let oauth):
            try container.encode(oauth.accessToken, forKey: .accessToken)
            try container.encode(oauth.refreshToken, forKey: .refreshToken)
            if let expiresAt = oauth.expiresAt {
                try container.encode(Timestamp.unixSeconds(expiresAt), forKey: .expiresAt)
            }
            if !oauth.tokenURL.isEmpty { try container.encode(oauth.tokenURL, forKey: .tokenURL) }
            try container.encodeIfPresent(oauth.clientID, forKey: .clientID)
            try container.encodeIfPresent(oauth.clientSecret, forKey: .clientSecret)
        }
    }
}
