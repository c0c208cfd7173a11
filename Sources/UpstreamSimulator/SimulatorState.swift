import Foundation

/// The simulator's shared, mutable state: keys with their live quota windows and faults,
/// refresh tokens, mint behaviour and every counter.
///
/// The HTTP server reads and changes it for each request; tests (and the admin API) can inspect
/// and change it at any time.
public actor SimulatorState {
    /// The live state of one key.
    struct KeyEntry: Sendable {
        var key: SimulatedKey
        var windows: [String: QuotaWindow]
        var stats: KeyStats
    }

    /// What the first, per-request admission step decided.
    enum Admission: Sendable, Equatable {
        /// No key, or one that is not configured.
        case unknownKey
        /// The key is valid; `fault` is the fault to apply to this request (already consumed).
        case admitted(fault: Fault?)
    }

    /// The outcome of asking for one unit of a model's quota.
    enum QuotaDecision: Sendable, Equatable {
        case modelNotFound
        case exhausted(QuotaSnapshot)
        case granted(QuotaSnapshot)
    }

    /// The outcome of a refresh-token grant.
    enum RefreshOutcome: Sendable, Equatable {
        case issued(accessToken: String, refreshToken: String, expiresIn: Int)
        case invalidGrant(String)
        /// The grant did not name the OAuth client the refresh token was issued to.
        case invalidClient(String)
    }

    /// The outcome of an anonymous mint.
    enum MintOutcome: Sendable, Equatable {
        case minted(key: String, models: [String])
        case rateLimited(retryAfter: Int)
        case disabled
    }

    var keys: [String: KeyEntry] = [:]
    private var streamChunkDelayMilliseconds: Int
    private var streamChunks: Int
    private var refreshTokens: [String: RefreshTokenConfiguration]
    private var mint: MintConfiguration
    private var counters = SimulatorCounters()
    private var deprecatedModelIds: [String: String]
    private var outage: Outage?
    private var outageAnswers = 0
    let now: @Sendable () -> Date

    /// Creates the state from a configuration, validating it first.
    /// - Parameters:
    ///   - configuration: keys, quotas and behaviour.
    ///   - now: the clock; tests may inject one to move quota windows forward without sleeping.
    public init(configuration: SimulatorConfiguration, now: @escaping @Sendable () -> Date = { Date() }) throws(SimulatorError) {
        try configuration.validate()
        self.now = now
        self.streamChunkDelayMilliseconds = configuration.streamChunkDelayMilliseconds
        self.streamChunks = configuration.streamChunks
        self.refreshTokens = configuration.refreshTokens
        self.mint = configuration.mint
        self.deprecatedModelIds = configuration.deprecatedModelIds
        let start = now()
        for key in configuration.keys {
            keys[key.key] = KeyEntry(key: key, windows: key.models.mapValues { QuotaWindow($0, startingAt: start) }, stats: KeyStats())
        }
    }

    // MARK: - Inspection

    /// The live configuration: current `remaining` counters, current faults, current refresh tokens.
    public func configuration() -> SimulatorConfiguration {
        let instant = now()
        let liveKeys = keys.keys.sorted().compactMap { name -> SimulatedKey? in
            guard let entry = keys[name] else { return nil }
            var key = entry.key
            key.models = entry.windows.mapValues { window in
                var window = window
                window.roll(now: instant)
                return window.quota
            }
            return key
        }
        return SimulatorConfiguration(
            keys: liveKeys,
            streamChunkDelayMilliseconds: streamChunkDelayMilliseconds,
            streamChunks: streamChunks,
            refreshTokens: refreshTokens,
            mint: mint,
            deprecatedModelIds: deprecatedModelIds
        )
    }

    /// Everything, as answered by `GET /admin/state`.
    public func snapshot() -> SimulatorSnapshot {
        let instant = now()
        var resetAt: [String: [String: String]] = [:]
        for (name, entry) in keys {
            resetAt[name] = entry.windows.mapValues { window in
                var window = window
                window.roll(now: instant)
                return RateLimitFormatting.rfc3339(window.resetAt)
            }
        }
        return SimulatorSnapshot(configuration: configuration(), stats: keys.mapValues(\.stats), counters: counters, resetAt: resetAt)
    }

    /// The request statistics of one key.
    public func stats(forKey key: String) throws(SimulatorError) -> KeyStats {
        guard let entry = keys[key] else { throw .unknownKey(key) }
        return entry.stats
    }

    /// Global counters (OAuth and mint calls, unauthenticated requests).
    public func counterValues() -> SimulatorCounters { counters }

    /// Whether `key` is currently accepted.
    public func isValidKey(_ key: String) -> Bool { keys[key] != nil }

    /// All accepted keys, sorted.
    public func keyNames() -> [String] { keys.keys.sorted() }

    /// One key's live configuration, if it exists.
    public func key(_ key: String) -> SimulatedKey? {
        configuration().keys.first { $0.key == key }
    }

    /// The live quota of one model on one key (after rolling its window), if the key lists it.
    public func quota(forKey key: String, model: String) -> QuotaSnapshot? {
        guard var window = keys[key]?.windows[model] else { return nil }
        let instant = now()
        window.roll(now: instant)
        keys[key]?.windows[model] = window
        return window.snapshot(now: instant)
    }

    /// Current streaming pace: delay between events and number of content chunks.
    public func streamingSettings() -> (delayMilliseconds: Int, chunks: Int) {
        (streamChunkDelayMilliseconds, streamChunks)
    }

    /// The current mint behaviour.
    public func mintConfiguration() -> MintConfiguration { mint }

    // MARK: - Changes

    /// Replaces the whole configuration (keys, windows restart now). Statistics of keys that still
    /// exist are kept.
    public func replaceConfiguration(_ configuration: SimulatorConfiguration) throws(SimulatorError) {
        try configuration.validate()
        let start = now()
        var newKeys: [String: KeyEntry] = [:]
        for key in configuration.keys {
            newKeys[key.key] = KeyEntry(
                key: key,
                windows: key.models.mapValues { QuotaWindow($0, startingAt: start) },
                stats: keys[key.key]?.stats ?? KeyStats()
            )
        }
        keys = newKeys
        streamChunkDelayMilliseconds = configuration.streamChunkDelayMilliseconds
        streamChunks = configuration.streamChunks
        refreshTokens = configuration.refreshTokens
        mint = configuration.mint
        deprecatedModelIds = configuration.deprecatedModelIds
    }

    /// Creates or replaces a key; its quota windows start now. Statistics of a replaced key are kept.
    public func upsertKey(_ key: SimulatedKey) throws(SimulatorError) {
        try key.validate()
        keys[key.key] = KeyEntry(
            key: key,
            windows: key.models.mapValues { QuotaWindow($0, startingAt: now()) },
            stats: keys[key.key]?.stats ?? KeyStats()
        )
    }

    /// Removes a key (later requests with it get 401).
    public func removeKey(_ key: String) throws(SimulatorError) {
        guard keys.removeValue(forKey: key) != nil else { throw .unknownKey(key) }
    }

    /// Injects a fault on a key (`mode: none` clears it).
    public func setFault(_ fault: Fault, forKey key: String) throws(SimulatorError) {
        guard keys[key] != nil else { throw .unknownKey(key) }
        try fault.validate(context: "fault")
        keys[key]?.key.fault = fault.mode == .none ? nil : fault
    }

    /// Sets one model's quota on a key and starts a new window now; returns the resulting quota.
    @discardableResult
    public func setQuota(_ update: QuotaUpdate, forKey key: String) throws(SimulatorError) -> ModelQuota {
        guard let entry = keys[key] else { throw .unknownKey(key) }
        guard !update.model.isEmpty else { throw .invalidRequest("'model' must be a non-empty string") }
        let quota = update.applied(to: entry.windows[update.model]?.quota)
        try quota.validate(context: "quota[\(update.model)]")
        keys[key]?.windows[update.model] = QuotaWindow(quota, startingAt: now())
        keys[key]?.key.models[update.model] = quota
        return quota
    }

    /// Changes the streaming pace.
    public func setStreaming(delayMilliseconds: Int?, chunks: Int?) throws(SimulatorError) {
        let delay = delayMilliseconds ?? streamChunkDelayMilliseconds
        let count = chunks ?? streamChunks
        try SimulatorConfiguration.validateStreaming(delay: delay, chunks: count)
        streamChunkDelayMilliseconds = delay
        streamChunks = count
    }

    /// Replaces the mint behaviour.
    public func setMintConfiguration(_ configuration: MintConfiguration) throws(SimulatorError) {
        try configuration.validate()
        mint = configuration
    }

    /// Adds or replaces a refresh token.
    public func setRefreshToken(_ token: String, _ configuration: RefreshTokenConfiguration) throws(SimulatorError) {
        guard !token.isEmpty else { throw .invalidRequest("refresh token must be non-empty") }
        guard keys[configuration.keyTemplate] != nil else {
            throw .invalidConfiguration("key_template '\(configuration.keyTemplate)' is not a configured key")
        }
        guard configuration.expiresIn >= 0 else { throw .invalidConfiguration("expires_in must be >= 0") }
        refreshTokens[token] = configuration
    }

    /// Revokes a refresh token (later grants with it get `invalid_grant`).
    public func revokeRefreshToken(_ token: String) throws(SimulatorError) {
        guard refreshTokens.removeValue(forKey: token) != nil else { throw .unknownRefreshToken(token) }
    }

    /// Zeroes every counter and forgets the last requests. Quotas are not touched.
    public func resetCounters() {
        counters = SimulatorCounters()
        for name in keys.keys { keys[name]?.stats = KeyStats() }
    }

    // MARK: - Request handling (used by the HTTP server)

    /// Records a request on an authenticated route and decides whether the key is valid and which
    /// fault (if any) applies. A fault with `fail_count` is consumed here.
    func admit(key: String?, request: RecordedRequest, isQuotaEndpoint: Bool) -> Admission {
        guard let key, keys[key] != nil else {
            counters.unauthenticatedRequests += 1
            return .unknownKey
        }
        keys[key]!.stats.record(request)
        guard var fault = keys[key]!.key.fault, fault.applies(to: request.path, isQuotaEndpoint: isQuotaEndpoint) else {
            return .admitted(fault: nil)
        }
        if let remaining = fault.failCount {
            if remaining <= 1 {
                keys[key]!.key.fault = nil
            } else {
                fault.failCount = remaining - 1
                keys[key]!.key.fault = fault
            }
        }
        return .admitted(fault: fault)
    }

    /// The quota a model is served with on a key: its own window, the unlimited default, or `nil`
    /// for a strict key that does not list the model.
    func rateLimitSnapshot(key: String, model: String) -> QuotaSnapshot? {
        guard let entry = keys[key] else { return nil }
        if entry.windows[model] != nil { return quota(forKey: key, model: model) }
        if entry.key.strictModels { return nil }
        return Self.unlimitedSnapshot(now: now())
    }

    /// Takes one request from a model's quota (or only checks it when `consume` is false).
    func consume(key: String, model: String, consume: Bool) -> QuotaDecision {
        guard let entry = keys[key] else { return .modelNotFound }
        let instant = now()
        guard var window = entry.windows[model] else {
            return entry.key.strictModels ? .modelNotFound : .granted(Self.unlimitedSnapshot(now: instant))
        }
        window.roll(now: instant)
        if consume {
            guard window.remaining > 0 else {
                keys[key]!.windows[model] = window
                return .exhausted(window.snapshot(now: instant))
            }
            window.remaining -= 1
        }
        keys[key]!.windows[model] = window
        return .granted(window.snapshot(now: instant))
    }

    /// The models a key lists, with their live quota, sorted by name.
    func quotaReport(key: String) -> [(model: String, snapshot: QuotaSnapshot)] {
        guard let entry = keys[key] else { return [] }
        return entry.windows.keys.sorted().compactMap { model in
            quota(forKey: key, model: model).map { (model, $0) }
        }
    }

    /// Whether a key is marked forbidden.
    func isForbidden(key: String) -> Bool { keys[key]?.key.forbidden ?? false }

    /// The model names a key lists, sorted.
    func modelNames(key: String) -> [String] { keys[key]?.windows.keys.sorted() ?? [] }

    /// Handles `grant_type=refresh_token`: counts the call, and on success creates the new access
    /// token as a key and rotates the refresh token if configured.
    func refresh(token: String?, clientID: String? = nil, clientSecret: String? = nil) -> RefreshOutcome {
        counters.oauthTokenCalls += 1
        guard let token, !token.isEmpty else { return .invalidGrant("refresh_token is missing") }
        guard let config = refreshTokens[token] else { return .invalidGrant("refresh token is invalid, expired or revoked") }
        if let required = config.clientID, clientID != required || (config.clientSecret.map { $0 != clientSecret } ?? false) {
            return .invalidClient("the OAuth client (client_id/client_secret) is missing or not the one this token was issued to")
        }
        guard let template = keys[config.keyTemplate] else {
            return .invalidGrant("the account behind this refresh token no longer exists")
        }
        let accessToken = "at-" + Self.randomToken()
        let instant = now()
        var windows = template.windows
        for (model, window) in windows {
            var rolled = window
            rolled.roll(now: instant)
            windows[model] = QuotaWindow(rolled.quota, startingAt: instant)
        }
        var newKey = template.key
        newKey.key = accessToken
        newKey.fault = nil
        newKey.models = windows.mapValues(\.quota)
        keys[accessToken] = KeyEntry(key: newKey, windows: windows, stats: KeyStats())
        var refreshToken = token
        if config.rotate {
            refreshToken = "rt-" + Self.randomToken()
            refreshTokens.removeValue(forKey: token)
            refreshTokens[refreshToken] = config
        }
        return .issued(accessToken: accessToken, refreshToken: refreshToken, expiresIn: config.expiresIn)
    }

    /// Handles an anonymous mint: counts the call, then fails while `fail_count` > 0 or creates a key.
    func mintKey() -> MintOutcome {
        counters.mintCalls += 1
        guard mint.enabled else { return .disabled }
        if mint.failCount > 0 {
            mint.failCount -= 1
            return .rateLimited(retryAfter: mint.retryAfter)
        }
        let name = mint.keyPrefix + Self.randomToken()
        let key = SimulatedKey(key: name, models: mint.models)
        keys[name] = KeyEntry(key: key, windows: mint.models.mapValues { QuotaWindow($0, startingAt: now()) }, stats: KeyStats())
        return .minted(key: name, models: mint.models.keys.sorted())
    }

    // MARK: - Google APIs (Gemini, Code Assist) and instance outages

    /// The Code Assist project of a key, if it has one.
    func project(key: String) -> String? { keys[key]?.key.project }

    /// The length of a model's quota window on a key (`nil` when the key does not list the model).
    func windowSeconds(key: String, model: String) -> Int? { keys[key]?.windows[model]?.resetSeconds }

    /// Old model id → replacement, as `fetchAvailableModels` reports it.
    public func deprecatedModelIDs() -> [String: String] { deprecatedModelIds }

    /// The current instance outage (with its `answered` count), if any.
    public func currentOutage() -> Outage? { outage }

    /// Starts an instance outage (`nil` ends it).
    public func setOutage(_ outage: Outage?) throws(SimulatorError) {
        try outage?.validate()
        self.outage = outage
    }

    /// Requests answered by outages since the simulator started (across outages).
    public func outageAnswerCount() -> Int { outageAnswers }

    /// The outage that applies to the next request, counting it and consuming one `fail_count`.
    func takeOutage() -> Outage? {
        guard var current = outage else { return nil }
        current.answered += 1
        outageAnswers += 1
        if let remaining = current.failCount {
            if remaining <= 1 {
                outage = nil
                return current
            }
            current.failCount = remaining - 1
        }
        outage = current
        return current
    }

    private static func unlimitedSnapshot(now: Date) -> QuotaSnapshot {
        let quota = ModelQuota.unlimited
        return QuotaSnapshot(limit: quota.limit, remaining: quota.remaining, resetAt: now.addingTimeInterval(TimeInterval(quota.resetSeconds)), now: now)
    }

    private static func randomToken() -> String {
        (0..<2).map { _ in
            let hex = String(UInt64.random(in: .min ... .max), radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }
}
