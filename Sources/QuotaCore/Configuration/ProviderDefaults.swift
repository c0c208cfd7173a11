/// What the operator sets once for every account of a provider (`providers.<name>` in the
/// configuration): extra request headers (e.g. the User-Agent an upstream requires) and the OAuth
/// client that renews tokens. The project ships no vendor's client identity; operators write these.
///
/// Precedence, per value: the account file's own value, then this default, then the built-in
/// behaviour (no header; no client in the refresh grant). Applied where the value is used, never
/// written into account files, so a reload of the configuration applies a changed default.
public struct ProviderDefaults: Sendable, Equatable, CustomStringConvertible {
    /// Headers sent with every request to an account of the provider that does not set a header of
    /// the same name (compared case-insensitively) itself.
    public var headers: [String: String] = [:]
    /// `oauth.client_id`: the OAuth client of accounts that name none.
    public var clientID: String?
    /// `oauth.client_secret`: sent with ``clientID``. Never logged or printed.
    public var clientSecret: String?
    /// `oauth.token_url`: where the `refresh_token` grant is posted for accounts without `token_url`.
    public var tokenURL: String?

    public init(headers: [String: String] = [:], clientID: String? = nil, clientSecret: String? = nil, tokenURL: String? = nil) {
        self.headers = headers
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.tokenURL = tokenURL
    }

    /// No defaults at all.
    public var isEmpty: Bool { headers.isEmpty && clientID == nil && clientSecret == nil && tokenURL == nil }

    /// ``headers`` sorted by name, in the form the request path adds them.
    public var sortedHeaders: [(name: String, value: String)] {
        headers.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
    }

    /// The extra headers for `accountHeaders` (an account's `headers`): all of the account's, then
    /// every default whose name the account does not set; each group sorted by name.
    public func headers(for accountHeaders: [String: String]) -> [(name: String, value: String)] {
        var merged = accountHeaders.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
        for (name, value) in headers.sorted(by: { $0.key < $1.key })
        where !accountHeaders.keys.contains(where: { Self.sameName($0, name) }) {
            merged.append((name: name, value: value))
        }
        return merged
    }

    /// `oauth` with what the account leaves out taken from these defaults: `token_url` when empty;
    /// `client_id` and `client_secret` as a pair — an account naming its own client keeps its own
    /// secret (or none), since another client's secret would be refused.
    public func resolving(_ oauth: OAuthCredentials) -> OAuthCredentials {
        var resolved = oauth
        if resolved.tokenURL.isEmpty, let tokenURL { resolved.tokenURL = tokenURL }
        if resolved.clientID == nil || resolved.clientID?.isEmpty == true {
            resolved.clientID = clientID
            if resolved.clientSecret == nil || resolved.clientSecret?.isEmpty == true { resolved.clientSecret = clientSecret }
        }
        return resolved
    }

    /// Header names compared as HTTP does (ASCII case-insensitively).
    public static func sameName(_ first: String, _ second: String) -> Bool {
        first.utf8.count == second.utf8.count
            && zip(first.utf8, second.utf8).allSatisfy { HeaderName.lower($0) == HeaderName.lower($1) }
    }

    /// The defaults with the client secret masked (for logs and `config` output).
    public var description: String {
        var parts: [String] = []
        if !headers.isEmpty { parts.append("headers: " + headers.keys.sorted().joined(separator: ", ")) }
        if let clientID { parts.append("client_id: \(clientID)") }
        if let clientSecret { parts.append("client_secret: \(SecretMasker.mask(clientSecret))") }
        if let tokenURL { parts.append("token_url: \(tokenURL)") }
        return "ProviderDefaults(" + parts.joined(separator: "; ") + ")"
    }
}
