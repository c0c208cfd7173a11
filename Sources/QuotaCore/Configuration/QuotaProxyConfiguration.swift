import Foundation

/// The configuration shared by the three services (`/etc/quota-proxy/config.json`).
///
/// Key names and defaults are fixed by SPEC.md section 3; ``ConfigurationParser`` turns a JSON
/// document plus environment overrides into this value, and ``validate()`` checks the ranges.
public struct QuotaProxyConfiguration: Sendable, Equatable {
    public struct Listen: Sendable, Equatable {
        public var host: String = "127.0.0.1"
        public var port: Int = 8045
        /// Event-loop threads serving clients and upstreams; 0 means one per CPU core. Read at start.
        public var threads: Int = 0
        /// A client connection that sends nothing for this long while no answer is in flight is
        /// closed (an idle keep-alive connection, or a client that stopped mid-request).
        public var idleTimeoutSeconds: Int = 120
        /// A request head must arrive whole within this many seconds of its first byte (of the
        /// connection's start for the first request), however slowly its bytes trickle in.
        public var headerTimeoutSeconds: Int = 60
        /// Client connections open at once; a connection beyond it is closed as soon as it is
        /// accepted. 0: derived from the open-file limit (see ``effectiveMaxConnections(derived:)``).
        public var maxConnections: Int = 0
        public init() {}
    }

    public enum RoutingStrategy: String, Sendable, Equatable, CaseIterable {
        case roundRobin = "round-robin"
        case mostRemaining = "most-remaining"
        case fillFirst = "fill-first"
    }

    public struct Routing: Sendable, Equatable {
        public var strategy: RoutingStrategy = .roundRobin
        public var maxAttempts: Int = 3
        public var disableFallback: Bool = false
        /// Serve a client from accounts of another protocol (OpenAI ↔ Anthropic ↔ Gemini) by
        /// translating requests and answers; off: only accounts of the client's own protocol.
        public var translation: Bool = true
        /// `routing.max_reset_hint_seconds`: a reset hint (header, error body, polled quota) further
        /// away than this is clamped to it, and the account is re-checked then (default 7 days).
        public var maxResetHintSeconds: Int = 604_800
        /// How long an upstream may take to send its answer's head before the attempt fails (a
        /// service error: the next account is tried).
        public var upstreamHeadTimeoutSeconds: Int = 120
        /// The longest gap between two parts of an answer's body before the upstream is given up.
        public var upstreamIdleTimeoutSeconds: Int = 300
        public init() {}
    }

    public struct QuotaProtection: Sendable, Equatable {
        public var enabled: Bool = true
        public var thresholdPercentage: Int = 10
        public var monitoredModels: [String] = ["*"]
        public init() {}
    }

    public struct ScheduledWarmup: Sendable, Equatable {
        public var enabled: Bool = true
        public var monitoredModels: [String] = ["*"]
        public var intervalSeconds: Int = 600
        public var cooldownSeconds: Int = 14400
        public init() {}
    }

    public struct Refresher: Sendable, Equatable {
        public var intervalSeconds: Int = 300
        public var tokenRefreshLeadSeconds: Int = 300
        public init() {}
    }

    public struct Anonymous: Sendable, Equatable {
        public var mintURL: String? = nil
        public var minIntervalSeconds: Int = 300
        public var cooldownAfter429Seconds: Int = 3600
        public init() {}
    }

    /// The request log ("Proxy Monitor") under `<state>/requests/`.
    public struct RequestLog: Sendable, Equatable {
        public var enabled: Bool = true
        /// A log file is rotated before it grows past this size.
        public var maxFileBytes: Int = 10 << 20
        /// Files kept, the current one included: the log never takes more than maxFiles × maxFileBytes.
        public var maxFiles: Int = 5
        /// Also record request and (non-streamed) response bodies, up to 64 KiB each. Off by default.
        public var includeBodies: Bool = false
        public init() {}
    }

    /// The Prometheus endpoint `GET /metrics`.
    public struct Metrics: Sendable, Equatable {
        /// Serve `/metrics` without a client key (e.g. to a scraper on a private network).
        public var isPublic: Bool = false
        public init() {}
    }

    /// The operators' web dashboard (`GET /dashboard/`) and its admin API (`/admin/api/...`).
    public struct Dashboard: Sendable, Equatable {
        /// Serve the page and the admin API; off: both answer 404.
        public var enabled: Bool = true
        /// The folder holding the page's files (`index.html`, `dashboard.css`, `dashboard.js`);
        /// `nil`: `/usr/share/quota-proxy/dashboard` when installed, else a `dashboard/` folder
        /// found above the executable (a development build). Read at start and on reload.
        public var assetsDirectory: String? = nil
        public init() {}
    }

    public var listen = Listen()
    public var clientAPIKeys: [String] = ["change-me"]
    /// An absolute path to a file of further client keys, one per line (`client_api_keys_file`).
    /// The package points it at `/etc/quota-proxy/client-keys`, which its postinst creates once, so
    /// the generated key lives outside the conffile. ``ConfigurationParser`` only records the path;
    /// the loader reads the file and adds its keys with ``addClientKeys(_:fromFile:)``.
    public var clientAPIKeysFile: String? = nil
    /// Keys of the admin API (`/admin/api/...`, the dashboard); never accepted as client keys, and
    /// client keys are never accepted here. Empty: the admin API answers 403 saying how to set one.
    public var adminAPIKeys: [String] = []
    public var dashboard = Dashboard()
    public var routing = Routing()
    public var quotaProtection = QuotaProtection()
    public var scheduledWarmup = ScheduledWarmup()
    public var refresher = Refresher()
    /// Protection group → the other model names normalized to it.
    public var modelGroups: [String: [String]] = QuotaProxyConfiguration.defaultModelGroups
    public var anonymous = Anonymous()
    /// Model names a client may send → the model name sent upstream (the body's `model` is
    /// rewritten; routing, protection and quota use the upstream name). Not followed in chains.
    public var modelAliases: [String: String] = [:]
    public var requestLog = RequestLog()
    public var metrics = Metrics()
    /// `providers.<name>`: headers and the OAuth client every account of a provider gets unless its
    /// file says otherwise (see ``ProviderDefaults``). Absent providers have no defaults.
    public var providers: [Provider: ProviderDefaults] = [:]

    public init() {}

    /// The defaults for accounts of `provider` (empty when `providers.<name>` is not set).
    public func defaults(for provider: Provider) -> ProviderDefaults {
        providers[provider] ?? ProviderDefaults()
    }

    /// The longest `providers.<name>.oauth` value accepted.
    public static let maximumOAuthValueBytes = 4096

    /// The default normalization table of SPEC 2.3 (`gemini-3-flash` maps to itself by name).
    public static let defaultModelGroups: [String: [String]] = [
        "claude-sonnet-4-5": ["claude-sonnet-4-5-thinking", "claude-opus-4-5-thinking"],
        "gemini-3-pro-high": ["gemini-3-pro-low"],
    ]

    /// The largest `listen.max_connections` accepted.
    public static let maximumMaxConnections = 1_000_000

    /// The client connection limit in force: `listen.max_connections` when set, else `derived`
    /// (what the open-file limit carries; the proxy takes it from its descriptor budget).
    public func effectiveMaxConnections(derived: Int) -> Int {
        listen.maxConnections > 0 ? listen.maxConnections : max(1, derived)
    }

    /// Whether the listen address only accepts connections from this machine.
    public var listensOnLoopbackOnly: Bool {
        let host = listen.host.lowercased()
        return host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// Range and consistency checks. Returns every problem, each naming its key.
    public func validate() -> [ConfigurationProblem] {
        var problems: [ConfigurationProblem] = []
        func fail(_ key: String, _ message: String) {
            problems.append(ConfigurationProblem(key: key, message: message))
        }
        if listen.host.isEmpty { fail("listen.host", "must not be empty") }
        // 0 asks the system for a free port (tests); `quota-proxyctl status` shows the one bound.
        if !(0...65535).contains(listen.port) { fail("listen.port", "must be between 0 and 65535, got \(listen.port)") }
        if !(0...256).contains(listen.threads) {
            fail("listen.threads", "must be between 0 (one per CPU core) and 256, got \(listen.threads)")
        }
        if !(1...86_400).contains(listen.idleTimeoutSeconds) {
            fail("listen.idle_timeout_seconds", "must be between 1 and 86400 seconds, got \(listen.idleTimeoutSeconds)")
        }
        if !(1...3600).contains(listen.headerTimeoutSeconds) {
            fail("listen.header_timeout_seconds", "must be between 1 and 3600 seconds, got \(listen.headerTimeoutSeconds)")
        }
        if !(0...Self.maximumMaxConnections).contains(listen.maxConnections) {
            fail(
                "listen.max_connections",
                "must be between 0 (derived from the open-file limit) and \(Self.maximumMaxConnections), got \(listen.maxConnections)")
        }
        if clientAPIKeys.contains(where: \.isEmpty) { fail("client_api_keys", "contains an empty key") }
        if let clientAPIKeysFile, !clientAPIKeysFile.hasPrefix("/") {
            fail("client_api_keys_file", "must be an absolute path or null, got \"\(clientAPIKeysFile)\"")
        }
        if adminAPIKeys.contains(where: \.isEmpty) { fail("admin_api_keys", "contains an empty key") }
        for (index, key) in adminAPIKeys.enumerated() where !key.isEmpty {
            // Name positions, never the key: the message ends up in logs and `systemctl status`.
            if let clientIndex = clientAPIKeys.firstIndex(of: key) {
                fail(
                    "admin_api_keys[\(index)]",
                    "is also client_api_keys[\(clientIndex)]; an admin key must differ from every client key")
            }
            if let first = adminAPIKeys.firstIndex(of: key), first < index {
                fail("admin_api_keys[\(index)]", "repeats admin_api_keys[\(first)]")
            }
        }
        if let directory = dashboard.assetsDirectory, directory.isEmpty || !directory.hasPrefix("/") {
            fail("dashboard.assets_dir", "must be an absolute path or null, got \"\(directory)\"")
        }
        // With a key file the check waits until its keys are in (addClientKeys(_:fromFile:)).
        if clientAPIKeys.isEmpty && clientAPIKeysFile == nil && !listensOnLoopbackOnly {
            fail(
                "client_api_keys",
                "is empty while listen.host is \(listen.host); add a key or listen on 127.0.0.1 only")
        }
        if !(1...20).contains(routing.maxAttempts) {
            fail("routing.max_attempts", "must be between 1 and 20, got \(routing.maxAttempts)")
        }
        if !(60...31_536_000).contains(routing.maxResetHintSeconds) {
            fail(
                "routing.max_reset_hint_seconds",
                "must be between 60 (1 minute) and 31536000 (365 days), got \(routing.maxResetHintSeconds)")
        }
        if !(1...3600).contains(routing.upstreamHeadTimeoutSeconds) {
            fail(
                "routing.upstream_head_timeout_seconds",
                "must be between 1 and 3600 seconds, got \(routing.upstreamHeadTimeoutSeconds)")
        }
        if !(1...3600).contains(routing.upstreamIdleTimeoutSeconds) {
            fail(
                "routing.upstream_idle_timeout_seconds",
                "must be between 1 and 3600 seconds, got \(routing.upstreamIdleTimeoutSeconds)")
        }
        if !(1...99).contains(quotaProtection.thresholdPercentage) {
            fail(
                "quota_protection.threshold_percentage",
                "must be between 1 and 99, got \(quotaProtection.thresholdPercentage)")
        }
        if quotaProtection.enabled && quotaProtection.monitoredModels.isEmpty {
            fail("quota_protection.monitored_models", "needs at least one model (or \"*\") while protection is enabled")
        }
        if quotaProtection.monitoredModels.contains(where: \.isEmpty) {
            fail("quota_protection.monitored_models", "contains an empty model name")
        }
        if scheduledWarmup.enabled && scheduledWarmup.monitoredModels.isEmpty {
            fail("scheduled_warmup.monitored_models", "needs at least one model (or \"*\") while warmup is enabled")
        }
        if scheduledWarmup.monitoredModels.contains(where: \.isEmpty) {
            fail("scheduled_warmup.monitored_models", "contains an empty model name")
        }
        if scheduledWarmup.intervalSeconds < 10 {
            fail("scheduled_warmup.interval_seconds", "must be at least 10, got \(scheduledWarmup.intervalSeconds)")
        }
        if scheduledWarmup.cooldownSeconds < 0 {
            fail("scheduled_warmup.cooldown_seconds", "must not be negative, got \(scheduledWarmup.cooldownSeconds)")
        }
        if refresher.intervalSeconds < 10 {
            fail("refresher.interval_seconds", "must be at least 10, got \(refresher.intervalSeconds)")
        }
        if refresher.tokenRefreshLeadSeconds < 0 {
            fail(
                "refresher.token_refresh_lead_seconds",
                "must not be negative, got \(refresher.tokenRefreshLeadSeconds)")
        }
        var groupOfModel: [String: String] = [:]
        for (group, members) in modelGroups.sorted(by: { $0.key < $1.key }) {
            if group.isEmpty { fail("model_groups", "has a group with an empty name") }
            for member in members {
                if member.isEmpty { fail("model_groups.\(group)", "contains an empty model name") }
                if let other = groupOfModel[member], other != group {
                    fail("model_groups.\(group)", "model \(member) is already in group \(other)")
                }
                groupOfModel[member] = group
            }
        }
        for group in modelGroups.keys.sorted() {
            if let other = groupOfModel[group], other != group {
                fail("model_groups.\(other)", "lists \(group), which is itself a group name; a model belongs to one group")
            }
        }
        if let mintURL = anonymous.mintURL, !Account.isHTTPURL(mintURL) {
            fail("anonymous.mint_url", "must be an http:// or https:// URL or null, got \"\(mintURL)\"")
        }
        if anonymous.minIntervalSeconds < 0 {
            fail("anonymous.min_interval_seconds", "must not be negative, got \(anonymous.minIntervalSeconds)")
        }
        if anonymous.cooldownAfter429Seconds < 0 {
            fail(
                "anonymous.cooldown_after_429_seconds",
                "must not be negative, got \(anonymous.cooldownAfter429Seconds)")
        }
        for (alias, mapped) in modelAliases.sorted(by: { $0.key < $1.key }) {
            if alias.isEmpty || mapped.isEmpty {
                fail("model_aliases", "contains an empty model name")
            } else if alias == mapped {
                fail("model_aliases.\(alias)", "maps a model to itself")
            } else if modelAliases[mapped] != nil {
                fail("model_aliases.\(alias)", "maps to \(mapped), which is itself an alias; aliases are not followed in chains")
            }
        }
        for (provider, defaults) in providers.sorted(by: { $0.key.ordinal < $1.key.ordinal }) {
            problems += Self.problems(of: defaults, key: "providers.\(provider.rawValue)")
        }
        if requestLog.maxFileBytes < 65536 {
            fail("request_log.max_file_bytes", "must be at least 65536, got \(requestLog.maxFileBytes)")
        }
        if !(1...100).contains(requestLog.maxFiles) {
            fail("request_log.max_files", "must be between 1 and 100, got \(requestLog.maxFiles)")
        }
        return problems
    }

    /// What is wrong with one `providers.<name>` object; messages never contain the client secret.
    static func problems(of defaults: ProviderDefaults, key: String) -> [ConfigurationProblem] {
        var problems: [ConfigurationProblem] = []
        func fail(_ key: String, _ message: String) {
            problems.append(ConfigurationProblem(key: key, message: message))
        }
        if let problem = Account.headerProblem(defaults.headers) {
            fail(problem.name.map { "\(key).headers.\($0)" } ?? "\(key).headers", problem.message)
        }
        let names = defaults.headers.keys.sorted()
        for (index, name) in names.enumerated() {
            if let other = names[..<index].first(where: { ProviderDefaults.sameName($0, name) }) {
                fail("\(key).headers.\(name)", "repeats \(other) (header names are case-insensitive); keep one")
            }
        }
        let oauthKey = "\(key).oauth"
        for (name, value) in [("client_id", defaults.clientID), ("client_secret", defaults.clientSecret)] {
            guard let value else { continue }
            if value.isEmpty {
                fail("\(oauthKey).\(name)", "must not be empty; remove the key or set null for none")
            } else if value.utf8.count > maximumOAuthValueBytes || value.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
                fail("\(oauthKey).\(name)", "must be at most \(maximumOAuthValueBytes) bytes without control characters")
            }
        }
        if defaults.clientSecret != nil && defaults.clientID == nil {
            fail("\(oauthKey).client_secret", "is set without \(oauthKey).client_id; a secret belongs to a client")
        }
        if let tokenURL = defaults.tokenURL, !Self.isTokenURL(tokenURL) {
            fail(
                "\(oauthKey).token_url",
                "must be an https:// URL (http:// only to a loopback host such as 127.0.0.1), got \"\(tokenURL.prefix(200))\"")
        }
        return problems
    }

    /// An https URL, or an http URL to this machine (the token is sent in it).
    static func isTokenURL(_ text: String) -> Bool {
        guard text.utf8.count <= maximumOAuthValueBytes, Account.isHTTPURL(text), let url = URL(string: text),
            let scheme = url.scheme?.lowercased(), let host = url.host?.lowercased()
        else { return false }
        if scheme == "https" { return true }
        let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        return bare == "localhost" || bare == "::1" || bare.hasPrefix("127.")
    }

    /// Adds the keys read from `client_api_keys_file` after the file's own (each key once), then
    /// checks what ``validate()`` left for this moment: a listener beyond loopback needs a key.
    /// - Returns: the problems, each naming `client_api_keys_file`; never a key.
    public mutating func addClientKeys(_ keys: [String], fromFile file: String) -> [ConfigurationProblem] {
        var known = Set(clientAPIKeys)
        var problems: [ConfigurationProblem] = []
        for (line, key) in keys.enumerated() where known.insert(key).inserted {
            if let adminIndex = adminAPIKeys.firstIndex(of: key) {
                // Name positions, never the key.
                problems.append(
                    ConfigurationProblem(
                        key: "admin_api_keys[\(adminIndex)]",
                        message: "is also key \(line + 1) of \(file); an admin key must differ from every client key"))
                continue
            }
            clientAPIKeys.append(key)
        }
        guard clientAPIKeys.isEmpty && !listensOnLoopbackOnly else { return problems }
        return problems + [
            ConfigurationProblem(
                key: "client_api_keys_file",
                message: "\(file) holds no key and client_api_keys is empty while listen.host is \(listen.host); "
                    + "add a key or listen on 127.0.0.1 only")
        ]
    }
}
