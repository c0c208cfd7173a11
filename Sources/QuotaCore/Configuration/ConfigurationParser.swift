import Foundation

/// Turns the configuration document and the environment into a validated ``QuotaProxyConfiguration``.
///
/// Every key has a default, so an empty document (or no file at all) is valid. Unknown keys are
/// rejected by name, since a misspelt key silently ignored is how protection ends up off.
/// Environment overrides: `QUOTA_PROXY_<KEY_PATH>` for every setting (e.g. `QUOTA_PROXY_LISTEN_PORT`,
/// `QUOTA_PROXY_QUOTA_PROTECTION_THRESHOLD_PERCENTAGE`; lists comma-separated), plus the seed's
/// aliases `API_TOKEN` (adds a client key) and `DISABLE_ANONYMOUS_FALLBACK` (`routing.disable_fallback`).
/// `providers.<name>.oauth.*` are set with `QUOTA_PROXY_PROVIDERS_<NAME>_OAUTH_<KEY>` (the name with
/// `-` as `_`, e.g. `QUOTA_PROXY_PROVIDERS_GEMINI_CODE_ASSIST_OAUTH_CLIENT_SECRET`); headers only in the file.
public struct ConfigurationParser: Sendable {
    enum Kind: Sendable {
        case section, string, optionalString, int, bool, stringList, stringListMap, stringMap
        /// `providers`: provider name → `{"headers": {…}, "oauth": {"client_id", "client_secret", "token_url"}}`.
        case providerMap
    }

    /// The keys of one `providers.<name>` object and of its `oauth` object.
    static let providerKeys = ["headers", "oauth"]
    static let providerOAuthKeys = ["client_id", "client_secret", "token_url"]

    /// Every key of the file with its kind, in documentation order.
    static let schema: [(key: String, kind: Kind)] = [
        ("listen", .section), ("listen.host", .string), ("listen.port", .int), ("listen.threads", .int), ("listen.idle_timeout_seconds", .int),
        ("listen.header_timeout_seconds", .int), ("listen.max_connections", .int),
        ("client_api_keys", .stringList), ("client_api_keys_file", .optionalString),
        ("admin_api_keys", .stringList),
        ("routing", .section), ("routing.strategy", .string), ("routing.max_attempts", .int),
        ("routing.disable_fallback", .bool), ("routing.translation", .bool), ("routing.max_reset_hint_seconds", .int),
        ("routing.upstream_head_timeout_seconds", .int), ("routing.upstream_idle_timeout_seconds", .int),
        ("quota_protection", .section), ("quota_protection.enabled", .bool),
        ("quota_protection.threshold_percentage", .int), ("quota_protection.monitored_models", .stringList),
        ("scheduled_warmup", .section), ("scheduled_warmup.enabled", .bool),
        ("scheduled_warmup.monitored_models", .stringList), ("scheduled_warmup.interval_seconds", .int),
        ("scheduled_warmup.cooldown_seconds", .int),
        ("refresher", .section), ("refresher.interval_seconds", .int),
        ("refresher.token_refresh_lead_seconds", .int),
        ("model_groups", .stringListMap),
        ("model_aliases", .stringMap),
        ("anonymous", .section), ("anonymous.mint_url", .optionalString),
        ("anonymous.min_interval_seconds", .int), ("anonymous.cooldown_after_429_seconds", .int),
        ("request_log", .section), ("request_log.enabled", .bool), ("request_log.max_file_bytes", .int),
        ("request_log.max_files", .int), ("request_log.include_bodies", .bool),
        ("metrics", .section), ("metrics.public", .bool),
        ("dashboard", .section), ("dashboard.enabled", .bool), ("dashboard.assets_dir", .optionalString),
        ("providers", .providerMap),
    ]

    /// The environment variable that overrides a key: `listen.port` → `QUOTA_PROXY_LISTEN_PORT`.
    public static func environmentVariable(for key: String) -> String {
        "QUOTA_PROXY_" + key.uppercased().replacingOccurrences(of: ".", with: "_")
    }

    /// Every key an operator can set, for `--help` and error messages.
    public static var knownKeys: [String] {
        schema.filter { $0.kind != .section }.map(\.key)
    }

    private let environment: [String: String]

    public init(environment: [String: String] = [:]) {
        self.environment = environment
    }

    /// Parses the raw bytes of a configuration file (`nil`: no file, all defaults).
    public func parse(data: Data?, file: String?) throws(ConfigurationError) -> QuotaProxyConfiguration {
        var document: JSONValue = .object([:])
        if let data, !data.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            do {
                document = try JSONDecoder().decode(JSONValue.self, from: data)
            } catch {
                throw ConfigurationError(
                    file: file,
                    problems: [ConfigurationProblem(key: "(file)", message: "is not valid JSON: \(Self.describe(error, in: data))")]
                )
            }
        }
        return try parse(document: document, file: file)
    }

    /// Parses a configuration document already read as JSON.
    public func parse(document: JSONValue, file: String?) throws(ConfigurationError) -> QuotaProxyConfiguration {
        guard case .object(var root) = document else {
            throw ConfigurationError(
                file: file,
                problems: [ConfigurationProblem(key: "(file)", message: "must be a JSON object, got \(document.kindDescription)")]
            )
        }
        var problems: [ConfigurationProblem] = []
        var sources: [String: String] = [:]
        checkUnknownKeys(root, problems: &problems)
        applyEnvironment(to: &root, sources: &sources, problems: &problems)

        var reader = Reader(root: root, sources: sources)
        var config = QuotaProxyConfiguration()
        reader.read("listen.host", into: &config.listen.host)
        reader.read("listen.port", into: &config.listen.port)
        reader.read("listen.threads", into: &config.listen.threads)
        reader.read("listen.idle_timeout_seconds", into: &config.listen.idleTimeoutSeconds)
        reader.read("listen.header_timeout_seconds", into: &config.listen.headerTimeoutSeconds)
        reader.read("listen.max_connections", into: &config.listen.maxConnections)
        reader.read("client_api_keys", into: &config.clientAPIKeys)
        reader.readOptional("client_api_keys_file", into: &config.clientAPIKeysFile)
        if let strategy = reader.string("routing.strategy") {
            if let value = QuotaProxyConfiguration.RoutingStrategy(rawValue: strategy) {
                config.routing.strategy = value
            } else {
                reader.fail(
                    "routing.strategy",
                    "unknown strategy \"\(strategy)\"; expected one of "
                        + QuotaProxyConfiguration.RoutingStrategy.allCases.map(\.rawValue).joined(separator: ", "))
            }
        }
        reader.read("routing.max_attempts", into: &config.routing.maxAttempts)
        reader.read("routing.disable_fallback", into: &config.routing.disableFallback)
        reader.read("routing.translation", into: &config.routing.translation)
        reader.read("routing.max_reset_hint_seconds", into: &config.routing.maxResetHintSeconds)
        reader.read("routing.upstream_head_timeout_seconds", into: &config.routing.upstreamHeadTimeoutSeconds)
        reader.read("routing.upstream_idle_timeout_seconds", into: &config.routing.upstreamIdleTimeoutSeconds)
        reader.read("quota_protection.enabled", into: &config.quotaProtection.enabled)
        reader.read("quota_protection.threshold_percentage", into: &config.quotaProtection.thresholdPercentage)
        reader.read("quota_protection.monitored_models", into: &config.quotaProtection.monitoredModels)
        reader.read("scheduled_warmup.enabled", into: &config.scheduledWarmup.enabled)
        reader.read("scheduled_warmup.monitored_models", into: &config.scheduledWarmup.monitoredModels)
        reader.read("scheduled_warmup.interval_seconds", into: &config.scheduledWarmup.intervalSeconds)
        reader.read("scheduled_warmup.cooldown_seconds", into: &config.scheduledWarmup.cooldownSeconds)
        reader.read("refresher.interval_seconds", into: &config.refresher.intervalSeconds)
        reader.read("refresher.token_refresh_lead_seconds", into: &config.refresher.tokenRefreshLeadSeconds)
        reader.readGroups("model_groups", into: &config.modelGroups)
        reader.readAliases("model_aliases", into: &config.modelAliases)
        reader.readOptional("anonymous.mint_url", into: &config.anonymous.mintURL)
        reader.read("anonymous.min_interval_seconds", into: &config.anonymous.minIntervalSeconds)
        reader.read("anonymous.cooldown_after_429_seconds", into: &config.anonymous.cooldownAfter429Seconds)
        reader.read("request_log.enabled", into: &config.requestLog.enabled)
        reader.read("request_log.max_file_bytes", into: &config.requestLog.maxFileBytes)
        reader.read("request_log.max_files", into: &config.requestLog.maxFiles)
        reader.read("request_log.include_bodies", into: &config.requestLog.includeBodies)
        reader.read("metrics.public", into: &config.metrics.isPublic)
        reader.read("admin_api_keys", into: &config.adminAPIKeys)
        reader.read("dashboard.enabled", into: &config.dashboard.enabled)
        reader.readOptional("dashboard.assets_dir", into: &config.dashboard.assetsDirectory)
        reader.readProviders(into: &config.providers)
        problems += reader.problems

        if let token = environment["API_TOKEN"], !token.isEmpty {
            // The seed's single token: it joins the file's keys, or replaces the placeholder default.
            if root["client_api_keys"] == nil {
                config.clientAPIKeys = [token]
            } else if !config.clientAPIKeys.contains(token) {
                config.clientAPIKeys.append(token)
            }
        }
        // Range checks run in the same pass, so every problem is reported at once; a key whose
        // type was wrong kept its default, and is not reported a second time.
        let faulty = Set(problems.map { Self.baseKey($0.key) })
        problems += config.validate().filter { !faulty.contains(Self.baseKey($0.key)) }.map { problem in
            var problem = problem
            problem.environmentVariable = sources[problem.key]
            return problem
        }
        guard problems.isEmpty else {
            throw ConfigurationError(file: file, problems: problems)
        }
        return config
    }

    // MARK: - Unknown keys

    private func checkUnknownKeys(_ root: [String: JSONValue], problems: inout [ConfigurationProblem]) {
        let known = Dictionary(Self.schema.map { ($0.key, $0.kind) }, uniquingKeysWith: { first, _ in first })
        for (key, value) in root.sorted(by: { $0.key < $1.key }) {
            guard let kind = known[key] else {
                problems.append(ConfigurationProblem(key: key, message: "unknown key; known top-level keys: \(Self.topLevelKeys)"))
                continue
            }
            guard kind == .section, case .object(let section) = value else { continue }
            for child in section.keys.sorted() where known["\(key).\(child)"] == nil {
                let siblings = Self.schema.map(\.key).filter { $0.hasPrefix(key + ".") }.joined(separator: ", ")
                problems.append(ConfigurationProblem(key: "\(key).\(child)", message: "unknown key; known: \(siblings)"))
            }
        }
    }

    private static var topLevelKeys: String {
        schema.map(\.key).filter { !$0.contains(".") }.joined(separator: ", ")
    }

    // MARK: - Environment

    private func applyEnvironment(
        to root: inout [String: JSONValue],
        sources: inout [String: String],
        problems: inout [ConfigurationProblem]
    ) {
        var overrides: [(key: String, variable: String, raw: String)] = []
        for (key, kind) in Self.schema where kind != .section && kind != .stringListMap && kind != .providerMap {
            let variable = Self.environmentVariable(for: key)
            if let raw = environment[variable] { overrides.append((key, variable, raw)) }
        }
        if let raw = environment["DISABLE_ANONYMOUS_FALLBACK"], environment["QUOTA_PROXY_ROUTING_DISABLE_FALLBACK"] == nil {
            overrides.append(("routing.disable_fallback", "DISABLE_ANONYMOUS_FALLBACK", raw))
        }
        applyProviderEnvironment(to: &root, sources: &sources)
        let kinds = Dictionary(Self.schema.map { ($0.key, $0.kind) }, uniquingKeysWith: { first, _ in first })
        for override in overrides {
            guard let kind = kinds[override.key] else { continue }
            let value: JSONValue
            switch Self.environmentValue(override.raw, kind: kind) {
            case .success(let parsed): value = parsed
            case .failure(let message):
                problems.append(ConfigurationProblem(key: override.key, message: message, environmentVariable: override.variable))
                continue
            }
            Self.set(value, at: override.key, in: &root)
            sources[override.key] = override.variable
        }
    }

    /// `QUOTA_PROXY_PROVIDERS_<NAME>_OAUTH_<KEY>` into `providers.<name>.oauth.<key>` (empty or
    /// `null`: no value). Left alone when `providers` in the file is not an object (reported later).
    private func applyProviderEnvironment(to root: inout [String: JSONValue], sources: inout [String: String]) {
        var providers = root["providers"]?.objectValue ?? [:]
        guard root["providers"] == nil || root["providers"]?.objectValue != nil else { return }
        var changed = false
        for provider in Provider.allCases {
            for name in Self.providerOAuthKeys {
                let key = "providers.\(provider.rawValue).oauth.\(name)"
                let variable = Self.environmentVariable(for: key).replacingOccurrences(of: "-", with: "_")
                guard let raw = environment[variable] else { continue }
                let trimmed = raw.trimmingCharacters(in: .whitespaces)
                var entry = providers[provider.rawValue]?.objectValue ?? [:]
                guard providers[provider.rawValue] == nil || providers[provider.rawValue]?.objectValue != nil,
                    entry["oauth"] == nil || entry["oauth"]?.objectValue != nil
                else { continue }
                var oauth = entry["oauth"]?.objectValue ?? [:]
                oauth[name] = trimmed.isEmpty || trimmed == "null" ? .null : .string(trimmed)
                entry["oauth"] = .object(oauth)
                providers[provider.rawValue] = .object(entry)
                sources[key] = variable
                changed = true
            }
        }
        if changed { root["providers"] = .object(providers) }
    }

    private enum EnvironmentValue { case success(JSONValue), failure(String) }

    private static func environmentValue(_ raw: String, kind: Kind) -> EnvironmentValue {
        let trimmed = raw.trimmingCharacters(in: .whitespaces)
        switch kind {
        case .string:
            return .success(.string(trimmed))
        case .optionalString:
            return trimmed.isEmpty || trimmed == "null" ? .success(.null) : .success(.string(trimmed))
        case .int:
            guard let int = Int(trimmed) else { return .failure("expected a whole number, got \"\(raw)\"") }
            return .success(.number(Double(int)))
        case .bool:
            switch trimmed.lowercased() {
            case "1", "true", "yes", "on": return .success(.bool(true))
            case "0", "false", "no", "off": return .success(.bool(false))
            default: return .failure("expected true or false, got \"\(raw)\"")
            }
        case .stringList:
            let items = trimmed.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            return .success(.array(items.map(JSONValue.string)))
        case .stringMap:
            var object: [String: JSONValue] = [:]
            for item in trimmed.split(separator: ",") {
                let pair = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard pair.count == 2 else { return .failure("expected name=target pairs separated by commas, got \"\(raw)\"") }
                object[pair[0]] = .string(pair[1])
            }
            return .success(.object(object))
        case .section, .stringListMap, .providerMap:
            return .failure("cannot be set from the environment")
        }
    }

    private static func set(_ value: JSONValue, at key: String, in root: inout [String: JSONValue]) {
        let parts = key.split(separator: ".", maxSplits: 1).map(String.init)
        if parts.count == 1 {
            root[key] = value
            return
        }
        var section = root[parts[0]]?.objectValue ?? [:]
        section[parts[1]] = value
        root[parts[0]] = .object(section)
    }

    /// `admin_api_keys[2]` → `admin_api_keys`.
    private static func baseKey(_ key: String) -> String {
        key.firstIndex(of: "[").map { String(key[..<$0]) } ?? key
    }

    /// Where the document stops being JSON (line and column), else what the decoder said.
    static func describe(_ error: any Error, in data: Data) -> String {
        if let syntax = JSONSyntaxError.find(in: Array(data)) { return syntax.description }
        return describe(error)
    }

    static func describe(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            if let underlying = context.underlyingError {
                return "\(underlying)"
            }
            return context.debugDescription
        }
        return "\(error)"
    }
}

/// Reads typed values from the document by dotted key, recording a problem for each wrong type.
private struct Reader {
    let root: [String: JSONValue]
    let sources: [String: String]
    var problems: [ConfigurationProblem] = []

    func value(_ key: String) -> JSONValue? {
        let parts = key.split(separator: ".", maxSplits: 1).map(String.init)
        guard let top = root[parts[0]] else { return nil }
        if parts.count == 1 { return top }
        guard case .object(let section) = top else { return nil }
        return section[parts[1]]
    }

    mutating func fail(_ key: String, _ message: String) {
        problems.append(ConfigurationProblem(key: key, message: message, environmentVariable: sources[key]))
    }

    mutating func sectionIsObject(_ key: String) -> Bool {
        let section = String(key.split(separator: ".").first ?? "")
        guard section != key, let value = root[section] else { return true }
        if value.objectValue == nil {
            if !problems.contains(where: { $0.key == section }) {
                fail(section, "must be an object, got \(value.kindDescription)")
            }
            return false
        }
        return true
    }

    mutating func string(_ key: String) -> String? {
        guard sectionIsObject(key), let value = value(key) else { return nil }
        guard let string = value.stringValue else {
            fail(key, "must be a string, got \(value.kindDescription)")
            return nil
        }
        return string
    }

    mutating func read(_ key: String, into target: inout String) {
        if let string = string(key) { target = string }
    }

    mutating func readOptional(_ key: String, into target: inout String?) {
        guard sectionIsObject(key), let value = value(key) else { return }
        switch value {
        case .null: target = nil
        case .string(let string): target = string
        default: fail(key, "must be a string or null, got \(value.kindDescription)")
        }
    }

    mutating func read(_ key: String, into target: inout Int) {
        guard sectionIsObject(key), let value = value(key) else { return }
        guard let int = value.intValue else {
            fail(key, "must be a whole number, got \(value.kindDescription)")
            return
        }
        target = int
    }

    mutating func read(_ key: String, into target: inout Bool) {
        guard sectionIsObject(key), let value = value(key) else { return }
        guard let bool = value.boolValue else {
            fail(key, "must be true or false, got \(value.kindDescription)")
            return
        }
        target = bool
    }

    mutating func read(_ key: String, into target: inout [String]) {
        guard sectionIsObject(key), let value = value(key) else { return }
        guard let array = value.arrayValue else {
            fail(key, "must be a list of strings, got \(value.kindDescription)")
            return
        }
        var strings: [String] = []
        for (index, element) in array.enumerated() {
            guard let string = element.stringValue else {
                fail("\(key)[\(index)]", "must be a string, got \(element.kindDescription)")
                return
            }
            strings.append(string)
        }
        target = strings
    }

    mutating func readGroups(_ key: String, into target: inout [String: [String]]) {
        guard let value = value(key) else { return }
        guard let object = value.objectValue else {
            fail(key, "must be an object of group name → list of model names, got \(value.kindDescription)")
            return
        }
        var groups: [String: [String]] = [:]
        for (group, members) in object {
            var list: [String] = []
            read("\(key).\(group)", value: members, into: &list)
            groups[group] = list
        }
        target = groups
    }

    mutating func readAliases(_ key: String, into target: inout [String: String]) {
        guard let value = value(key) else { return }
        guard let object = value.objectValue else {
            fail(key, "must be an object of model name the client sends → model name sent upstream, got \(value.kindDescription)")
            return
        }
        var aliases: [String: String] = [:]
        for (alias, mapped) in object {
            guard let mapped = mapped.stringValue else {
                fail("\(key).\(alias)", "must be a model name (a string), got \(mapped.kindDescription)")
                continue
            }
            aliases[alias] = mapped
        }
        target = aliases
    }

    /// `providers`: each name must be a ``Provider``; each value `{"headers", "oauth"}`.
    mutating func readProviders(into target: inout [Provider: ProviderDefaults]) {
        guard let value = value("providers") else { return }
        guard let object = value.objectValue else {
            fail("providers", "must be an object of provider name → {\"headers\", \"oauth\"}, got \(value.kindDescription)")
            return
        }
        var providers: [Provider: ProviderDefaults] = [:]
        for (name, entry) in object.sorted(by: { $0.key < $1.key }) {
            let key = "providers.\(name)"
            guard let provider = Provider(rawValue: name) else {
                fail(key, "unknown provider; expected one of \(Provider.namesForMessages)")
                continue
            }
            guard let fields = entry.objectValue else {
                fail(key, "must be an object with \"headers\" and/or \"oauth\", got \(entry.kindDescription)")
                continue
            }
            var defaults = ProviderDefaults()
            for field in fields.keys.sorted() where !ConfigurationParser.providerKeys.contains(field) {
                fail("\(key).\(field)", "unknown key; known: " + ConfigurationParser.providerKeys.joined(separator: ", "))
            }
            if let headers = fields["headers"] {
                if let headers = headers.objectValue {
                    for (header, headerValue) in headers {
                        guard let text = headerValue.stringValue else {
                            fail("\(key).headers.\(header)", "must be a string, got \(headerValue.kindDescription)")
                            continue
                        }
                        defaults.headers[header] = text
                    }
                } else if headers != .null {
                    fail("\(key).headers", "must be an object of header name → value, got \(headers.kindDescription)")
                }
            }
            if let oauth = fields["oauth"] {
                if let oauth = oauth.objectValue {
                    for field in oauth.keys.sorted() where !ConfigurationParser.providerOAuthKeys.contains(field) {
                        fail("\(key).oauth.\(field)", "unknown key; known: " + ConfigurationParser.providerOAuthKeys.joined(separator: ", "))
                    }
                    readOAuthValue(oauth["client_id"], key: "\(key).oauth.client_id", into: &defaults.clientID)
                    readOAuthValue(oauth["client_secret"], key: "\(key).oauth.client_secret", into: &defaults.clientSecret)
                    readOAuthValue(oauth["token_url"], key: "\(key).oauth.token_url", into: &defaults.tokenURL)
                } else if oauth != .null {
                    fail("\(key).oauth", "must be an object with client_id, client_secret, token_url, got \(oauth.kindDescription)")
                }
            }
            providers[provider] = defaults
        }
        target = providers
    }

    private mutating func readOAuthValue(_ value: JSONValue?, key: String, into target: inout String?) {
        switch value {
        case nil, .null?: target = nil
        case .string(let string)?: target = string
        case let other?: fail(key, "must be a string or null, got \(other.kindDescription)")
        }
    }

    private mutating func read(_ key: String, value: JSONValue, into target: inout [String]) {
        guard let array = value.arrayValue, array.allSatisfy({ $0.stringValue != nil }) else {
            fail(key, "must be a list of model names")
            return
        }
        target = array.compactMap(\.stringValue)
    }
}
