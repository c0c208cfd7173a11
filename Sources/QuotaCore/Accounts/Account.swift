import Foundation

/// One upstream account of the pool, exactly as stored in `accounts/<id>.json`.
public struct Account: Sendable, Equatable, Identifiable {
    /// Unique id; also the file name (`accounts/<id>.json`), so limited to `[A-Za-z0-9._-]`.
    public var id: String
    /// A human label such as the account's e-mail address.
    public var label: String?
    public var provider: Provider
    /// The upstream base URL, e.g. `https://api.example.com` (paths such as `/v1/...` are appended).
    public var baseURL: String
    public var tier: Tier
    public var credentials: AccountCredentials
    public var quotaSource: QuotaSource
    /// The models this account serves; `nil` means any model.
    public var models: [String]?
    public var quota: AccountQuota
    /// Protection groups this account must not serve (written by the refresher, see SPEC 2.3).
    public var protectedModels: [String]
    public var disabled: Bool
    /// Why the account was disabled, for the operator.
    public var disabledReason: String?
    /// Extra headers sent with every request to this account (`headers`), e.g. a `User-Agent` the
    /// upstream requires. The project ships no vendor's client identity: operators write these.
    public var extraHeaders: [String: String] = [:]
    /// More base URLs tried in order after ``baseURL`` on connection errors, 5xx and 404
    /// (`base_urls`; the first entry is ``baseURL`` when the file gives only the list).
    public var baseURLs: [String] = []
    /// The Code Assist project (`project_id`), discovered with `loadCodeAssist` and kept here.
    public var projectID: String?
    /// Model names the upstream retired, to the names that replace them (`model_renames`, written
    /// by the refresher from `fetchAvailableModels`' `deprecatedModelIds`): a request for an old
    /// name is sent upstream with the new one.
    public var modelRenames: [String: String] = [:]

    /// The name `model` is sent upstream with on this account (``modelRenames``).
    public func upstreamName(of model: String) -> String {
        modelRenames[model] ?? model
    }

    /// Most extra headers an account may carry, and the longest name or value.
    public static let maximumExtraHeaders = 32
    public static let maximumExtraHeaderBytes = 4096

    public init(
        id: String,
        label: String? = nil,
        provider: Provider,
        baseURL: String,
        tier: Tier = .primary,
        credentials: AccountCredentials,
        quotaSource: QuotaSource = .headers,
        models: [String]? = nil,
        quota: AccountQuota = AccountQuota(),
        protectedModels: [String] = [],
        disabled: Bool = false,
        disabledReason: String? = nil
    ) {
        self.id = id
        self.label = label
        self.provider = provider
        self.baseURL = baseURL
        self.tier = tier
        self.credentials = credentials
        self.quotaSource = quotaSource
        self.models = models
        self.quota = quota
        self.protectedModels = protectedModels
        self.disabled = disabled
        self.disabledReason = disabledReason
    }

    /// The reason written when an operator disables an account without giving one.
    public static let defaultDisabledReason = "disabled by an operator"

    /// Disables the account with `reason` (or the default), or enables it again and clears the
    /// reason: the one edit behind `quota-proxyctl accounts enable|disable` and the dashboard.
    public mutating func setDisabled(_ disabled: Bool, reason: String? = nil) {
        self.disabled = disabled
        disabledReason = disabled ? (reason ?? Self.defaultDisabledReason) : nil
    }

    /// Whether this account may be asked for `model` at all (ignoring quota and cooldowns).
    public func serves(model: String) -> Bool {
        guard let models else { return true }
        return models.contains(model)
    }

    /// Whether an account id is safe to use as a file name.
    public static func isValidID(_ id: String) -> Bool {
        guard let first = id.utf8.first, id.utf8.count <= 64 else { return false }
        func allowed(_ byte: UInt8) -> Bool {
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2E || byte == 0x5F || byte == 0x2D
        }
        return first != 0x2E && id.utf8.allSatisfy(allowed)
    }

    /// Checks what Codable cannot: id shape, URLs, non-empty secrets. Returns the first problem found.
    public func validationProblem() -> String? {
        if !Account.isValidID(id) {
            return "id \"\(id)\" must be 1–64 characters of A–Z a–z 0–9 . _ - and not start with a dot"
        }
        if !Account.isHTTPURL(baseURL) {
            return "base_url \"\(baseURL)\" must be an http:// or https:// URL"
        }
        switch credentials {
        case .apiKey(let key) where key.isEmpty:
            return "credentials.api_key is empty"
        case .oauth(let oauth):
            if oauth.accessToken.isEmpty && oauth.refreshToken.isEmpty {
                return "credentials need an access_token or a refresh_token"
            }
            // Empty: the refresher uses `providers.<provider>.oauth.token_url` of the configuration.
            if !oauth.tokenURL.isEmpty && !Account.isHTTPURL(oauth.tokenURL) {
                return "credentials.token_url \"\(oauth.tokenURL)\" must be an http:// or https:// URL"
            }
        default:
            break
        }
        if quotaSource.kind != .headers {
            guard let url = quotaSource.url, Account.isHTTPURL(url) else {
                return "quota_source.url must be an http:// or https:// URL for kind \"\(quotaSource.kind.rawValue)\""
            }
        }
        if let models, models.contains(where: \.isEmpty) {
            return "models contains an empty name"
        }
        for url in baseURLs where !Account.isHTTPURL(url) {
            return "base_urls entry \"\(url)\" must be an http:// or https:// URL"
        }
        if let problem = Self.extraHeaderProblem(extraHeaders) {
            return problem
        }
        return nil
    }

    /// The base URLs in the order they are tried: ``baseURL``, then the other ``baseURLs``.
    public var allBaseURLs: [String] {
        var urls = [baseURL]
        for url in baseURLs where !urls.contains(url) { urls.append(url) }
        return urls
    }

    /// Header names the proxy or the transport set themselves, which `headers` must not override.
    static let reservedHeaderNames: Set<String> = [
        "host", "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "te", "trailer",
        "proxy-connection", "authorization", "proxy-authorization", "x-api-key", "x-goog-api-key", "expect",
    ]

    /// Why `headers` cannot be sent, if they cannot.
    static func extraHeaderProblem(_ headers: [String: String]) -> String? {
        guard let problem = headerProblem(headers) else { return nil }
        return problem.name == nil ? "headers " + problem.message : "headers: " + problem.message
    }

    /// The first rule `headers` break (an account's `headers`, a `providers.<name>.headers`): too
    /// many, a name that is no HTTP token, a header the proxy sets itself, a value with a control
    /// character or too long. `name` is the offending header, `nil` when the problem is the count.
    static func headerProblem(_ headers: [String: String]) -> (name: String?, message: String)? {
        if headers.count > maximumExtraHeaders {
            return (nil, "has \(headers.count) entries; at most \(maximumExtraHeaders) are allowed")
        }
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
            let isToken = !name.isEmpty && name.utf8.allSatisfy { byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                    || Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
            }
            guard isToken, name.utf8.count <= maximumExtraHeaderBytes else {
                return (String(name.prefix(64)), "\"\(name.prefix(64))\" is not a valid header name")
            }
            if reservedHeaderNames.contains(name.lowercased()) {
                return (name, "\(name) is set by the proxy itself (credentials and framing) and cannot be overridden")
            }
            guard value.utf8.count <= maximumExtraHeaderBytes, value.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F || $0 == 0x09 })
            else {
                return (name, "the value of \(name) contains a line break or control character, or is too long")
            }
        }
        return nil
    }

    static func isHTTPURL(_ text: String) -> Bool {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty
        else { return false }
        return true
    }
}

extension Account: Codable {
    enum CodingKeys: String, CodingKey {
        case id, label, provider
        case baseURL = "base_url"
        case tier, credentials
        case quotaSource = "quota_source"
        case models, quota
        case protectedModels = "protected_models"
        case disabled
        case disabledReason = "disabled_reason"
        case extraHeaders = "headers"
        case baseURLs = "base_urls"
        case projectID = "project_id"
        case modelRenames = "model_renames"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.id = try container.decode(String.self, forKey: .id)
        self.label = try container.decodeIfPresent(String.self, forKey: .label)
        self.provider = try container.decode(Provider.self, forKey: .provider)
        let baseURLs = try container.decodeIfPresent([String].self, forKey: .baseURLs) ?? []
        if let baseURL = try container.decodeIfPresent(String.self, forKey: .baseURL) {
            self.baseURL = baseURL
            self.baseURLs = baseURLs
        } else if let first = baseURLs.first {
            self.baseURL = first
            self.baseURLs = Array(baseURLs.dropFirst())
        } else {
            throw DecodingError.keyNotFound(
                CodingKeys.baseURL,
                .init(codingPath: container.codingPath, debugDescription: "base_url (or a non-empty base_urls list) is required"))
        }
        self.tier = try container.decodeIfPresent(Tier.self, forKey: .tier) ?? .primary
        self.credentials = try container.decode(AccountCredentials.self, forKey: .credentials)
        self.quotaSource = try container.decodeIfPresent(QuotaSource.self, forKey: .quotaSource) ?? .headers
        self.models = try container.decodeIfPresent([String].self, forKey: .models)
        self.quota = try container.decodeIfPresent(AccountQuota.self, forKey: .quota) ?? AccountQuota()
        self.protectedModels = try container.decodeIfPresent([String].self, forKey: .protectedModels) ?? []
        self.disabled = try container.decodeIfPresent(Bool.self, forKey: .disabled) ?? false
        self.disabledReason = try container.decodeIfPresent(String.self, forKey: .disabledReason)
        self.extraHeaders = try container.decodeIfPresent([String: String].self, forKey: .extraHeaders) ?? [:]
        self.projectID = try container.decodeIfPresent(String.self, forKey: .projectID)
        self.modelRenames = try container.decodeIfPresent([String: String].self, forKey: .modelRenames) ?? [:]
        // A file written before windows existed (0.1.0): its figures become windows, so protection
        // and warmup read one form (SPEC 2.6).
        if quota.windows.isEmpty && !quota.models.isEmpty {
            quota.windows = QuotaWindows.legacyWindows(
                quota.models, sourceKind: quotaSource.kind, observedAt: quota.lastUpdated)
            quota.models = QuotaWindows.modelFigures(
                quota.windows, knownModels: quota.models.map(\.name), now: quota.lastUpdated ?? .distantPast)
        }
    }

    /// Merges observed windows into the account's quota and derives `quota.models` again
    /// (`seenModels`: models requests were sent for, so account-wide windows show up for them).
    public mutating func mergeQuotaWindows(_ observed: [QuotaWindow], seenModels: some Sequence<String>, now: Date) {
        let merged = QuotaWindows.merge(observed, into: quota.windows, now: now)
        // The live path's common case: only rate limits moved, so `quota.models` stays as it is.
        let coversSeen = !merged.contains { $0.kind == .quota && $0.scope == .account }
            || seenModels.allSatisfy { quota.model(named: $0) != nil }
        if coversSeen && !QuotaWindows.quotaDiffers(quota.windows, merged) {
            quota.windows = merged
            return
        }
        quota.setWindows(merged, knownModels: Array(seenModels) + (models ?? []), now: now)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encodeIfPresent(label, forKey: .label)
        try container.encode(provider, forKey: .provider)
        try container.encode(baseURL, forKey: .baseURL)
        try container.encode(tier, forKey: .tier)
        try container.encode(credentials, forKey: .credentials)
        try container.encode(quotaSource, forKey: .quotaSource)
        try container.encodeIfPresent(models, forKey: .models)
        try container.encode(quota, forKey: .quota)
        try container.encode(protectedModels, forKey: .protectedModels)
        try container.encode(disabled, forKey: .disabled)
        try container.encode(disabledReason, forKey: .disabledReason)
        if !extraHeaders.isEmpty { try container.encode(extraHeaders, forKey: .extraHeaders) }
        if !baseURLs.isEmpty { try container.encode(baseURLs, forKey: .baseURLs) }
        try container.encodeIfPresent(projectID, forKey: .projectID)
        if !modelRenames.isEmpty { try container.encode(modelRenames, forKey: .modelRenames) }
    }
}
