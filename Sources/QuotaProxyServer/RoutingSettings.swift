import NIOCore
import QuotaCore
import QuotaUpstream

/// The parts of the configuration the request path reads, precomputed once per (re)load.
struct RoutingSettings: Sendable {
    var authenticator: ClientKeyAuthenticator
    /// The client keys as the request log and metrics name them (masked), by position.
    var clientKeyNames: [String]
    var requestLog: QuotaProxyConfiguration.RequestLog
    /// `GET /metrics` without a client key.
    var metricsArePublic: Bool
    /// Client model name → upstream model name (`model_aliases`).
    var modelAliases: [String: String]
    var strategy: QuotaProxyConfiguration.RoutingStrategy
    var maxAttempts: Int
    var disableFallback: Bool
    /// `routing.translation`: accounts of other protocols serve a client through translation.
    var translation: Bool
    var protection: QuotaProxyConfiguration.QuotaProtection
    var normalizer: ModelGroupNormalizer
    /// Quota Protection's one rule (the refresher uses the same).
    var evaluator: ProtectionEvaluator
    /// `routing.max_reset_hint_seconds`.
    var maxResetHintSeconds: Int
    var mintConfigured: Bool
    /// The model → group table handed to ``AccountPool`` (members only; a group maps to itself).
    var groupTable: [String: String]
    /// `listen.idle_timeout_seconds`.
    var clientIdleTimeout: TimeAmount
    /// `listen.header_timeout_seconds`: the longest a request head may take to arrive.
    var clientHeaderTimeout: TimeAmount
    /// The time limits of each upstream attempt (`routing.upstream_head_timeout_seconds`,
    /// `routing.upstream_idle_timeout_seconds`).
    var upstreamTimeouts: UpstreamTimeouts
    /// `providers.<name>.headers` by ``Provider/ordinal``, sorted by name: resolved once per
    /// (re)load so the request path only walks a short array.
    var providerHeaders: [[(name: String, value: String)]]

    init(configuration: QuotaProxyConfiguration) {
        authenticator = ClientKeyAuthenticator(keys: configuration.clientAPIKeys)
        clientKeyNames = configuration.clientAPIKeys.map(SecretMasker.mask)
        requestLog = configuration.requestLog
        metricsArePublic = configuration.metrics.isPublic
        modelAliases = configuration.modelAliases
        strategy = configuration.routing.strategy
        maxAttempts = configuration.routing.maxAttempts
        disableFallback = configuration.routing.disableFallback
        translation = configuration.routing.translation
        protection = configuration.quotaProtection
        normalizer = ModelGroupNormalizer(configuration: configuration)
        evaluator = ProtectionEvaluator(configuration: configuration.quotaProtection, normalizer: normalizer)
        maxResetHintSeconds = configuration.routing.maxResetHintSeconds
        mintConfigured = configuration.anonymous.mintURL != nil
        var table: [String: String] = [:]
        for (group, members) in configuration.modelGroups {
            table[group] = group
            for member in members { table[member] = group }
        }
        groupTable = table
        clientIdleTimeout = .seconds(Int64(configuration.listen.idleTimeoutSeconds))
        clientHeaderTimeout = .seconds(Int64(configuration.listen.headerTimeoutSeconds))
        upstreamTimeouts = UpstreamTimeouts(
            responseHead: .seconds(Int64(configuration.routing.upstreamHeadTimeoutSeconds)),
            idle: .seconds(Int64(configuration.routing.upstreamIdleTimeoutSeconds)))
        providerHeaders = Provider.allCases.map { configuration.defaults(for: $0).sortedHeaders }
    }
}
