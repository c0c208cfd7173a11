import CoreMetrics
import Foundation
import Prometheus
import QuotaCore
import Synchronization

/// The proxy's Prometheus metrics (`GET /metrics`), on swift-prometheus with a registry of its own.
/// Every series is registered with a name descriptor that carries its `# HELP` text
/// (`promtool check metrics` finds nothing to complain about).
///
/// Request-path metrics of low cardinality (requests by route/model/status, latency histograms by
/// route) are counters and histograms that each event loop creates once per label set and keeps
/// in its ``LoopMetrics``: counting a request is an atomic add, a histogram observation an
/// uncontended per-series lock — no registry lookup, no process-wide lock.
/// Upstream attempts are labelled by account, and pools have tens of thousands of accounts: each
/// loop counts them in a plain dictionary and the page adds the totals to registry counters when
/// scraped, so a new account costs the request path a dictionary entry, not a registered series.
/// State metrics (quota percentages, protected groups, active cooldowns, accounts) are gauges
/// refreshed from the routing state when the page is scraped.
final class ProxyMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    /// State gauges set by the last scrape, so series of removed accounts can be dropped.
    private let stateGauges = Mutex<[GaugeKey: Prometheus.Gauge]>([:])
    private let warmupCounters = Mutex<[String: Prometheus.Counter]>([:])
    /// Attempt counters registered so far, with the total already added to each.
    private let exportedAttempts = Mutex<[AttemptKey: (counter: Prometheus.Counter, total: UInt64)]>([:])
    /// Model labels admitted so far; past ``modelLabelLimit`` new models are counted as `other`
    /// (clients choose model names; the series must stay bounded).
    private let modelLabels = Mutex<Set<String>>([])
    static let modelLabelLimit = 1000
    /// The listener's connection counts, read when the page is scraped.
    let connections: ClientConnectionLimit?
    private let connectionSeries: (open: Prometheus.Gauge, limit: Prometheus.Gauge, refused: Prometheus.Counter)
    private let refusedExported = Mutex<Int>(0)

    static let requestsTotal = "quota_proxy_requests_total"
    static let requestDuration = "quota_proxy_request_duration_seconds"
    static let upstreamDuration = "quota_proxy_upstream_duration_seconds"
    static let upstreamAttempts = "quota_proxy_upstream_attempts_total"
    static let warmupsTotal = "quota_proxy_warmups_total"
    static let quotaPercentage = "quota_proxy_quota_percentage"
    static let windowPercentage = "quota_proxy_window_percentage"
    static let protectedGroup = "quota_proxy_protected"
    static let cooldownsActive = "quota_proxy_cooldowns_active"
    static let accounts = "quota_proxy_accounts"
    static let clientConnections = "quota_proxy_client_connections"
    static let clientConnectionsLimit = "quota_proxy_client_connections_limit"
    static let clientConnectionsRefused = "quota_proxy_client_connections_refused_total"

    /// Name and help text of a series registered directly with the registry.
    static func descriptor(_ name: String) -> MetricNameDescriptor {
        let (metric, unit, help): (String, String, String) =
            switch name {
            case upstreamAttempts: ("upstream_attempts", "total", "Requests sent to upstream accounts, by account and outcome.")
            case quotaPercentage: ("quota", "percentage", "Remaining quota of an account for a model (tightest quota window).")
            case windowPercentage:
                ("window", "percentage", "Remaining share of one limit window (window=1m, 5h, 7d, quota when its length is unknown; model=\"\" for account-wide windows).")
            case protectedGroup: ("protected", "", "1 for each protection group an account does not serve (Quota Protection).")
            case cooldownsActive: ("cooldowns", "active", "Accounts (or account and group pairs) cooling down, by reason.")
            case accounts: ("accounts", "", "Accounts by tier and state.")
            case requestsTotal: ("requests", "total", "Client requests answered, by route, model and HTTP status.")
            case requestDuration:
                ("request_duration", "seconds", "Time from a client request to the last byte of its answer, by route.")
            case upstreamDuration: ("upstream_duration", "seconds", "Time of each upstream attempt, by route.")
            case warmupsTotal: ("warmups", "total", "Warmup requests sent, by outcome.")
            case clientConnections: ("client_connections", "", "Client connections open.")
            case clientConnectionsLimit:
                ("client_connections_limit", "", "The most client connections allowed at once (listen.max_connections).")
            case clientConnectionsRefused:
                ("client_connections_refused", "total", "Client connections closed at once because listen.max_connections were open.")
            default: (String(name.dropFirst("quota_proxy_".count)), "", "")
            }
        return MetricNameDescriptor(namespace: "quota_proxy", metricName: metric, unitName: unit, helpText: help)
    }

    /// Latency buckets from 1 ms (a local answer) to 5 minutes (a long generation).
    static let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5),
        .seconds(10), .seconds(30), .seconds(60), .seconds(120), .seconds(300),
    ]

    init(connections: ClientConnectionLimit? = nil) {
        registry = PrometheusCollectorRegistry()
        self.connections = connections
        connectionSeries = (
            registry.makeGauge(descriptor: Self.descriptor(Self.clientConnections)),
            registry.makeGauge(descriptor: Self.descriptor(Self.clientConnectionsLimit)),
            registry.makeCounter(descriptor: Self.descriptor(Self.clientConnectionsRefused))
        )
    }

    func requestCounter(route: String, model: String, status: Int) -> Prometheus.Counter {
        registry.makeCounter(
            descriptor: Self.descriptor(Self.requestsTotal), labels: [("route", route), ("model", model), ("status", String(status))])
    }

    /// The label for `model`: itself while fewer than ``modelLabelLimit`` models were seen, else `other`.
    func modelLabel(_ model: String) -> String {
        modelLabels.withLock { labels in
            if labels.contains(model) { return model }
            guard labels.count < Self.modelLabelLimit else { return "other" }
            labels.insert(model)
            return model
        }
    }

    func requestTimer(route: String) -> DurationHistogram {
        registry.makeDurationHistogram(
            descriptor: Self.descriptor(Self.requestDuration), labels: [("route", route)], buckets: Self.latencyBuckets)
    }

    func upstreamTimer(route: String) -> DurationHistogram {
        registry.makeDurationHistogram(
            descriptor: Self.descriptor(Self.upstreamDuration), labels: [("route", route)], buckets: Self.latencyBuckets)
    }

    /// Counts a warmup by outcome (`ok`, or the upstream error class). Warmups are rare: a lock is fine.
    func countWarmup(outcome: String) {
        let counter = warmupCounters.withLock { counters in
            if let counter = counters[outcome] { return counter }
            let counter = registry.makeCounter(descriptor: Self.descriptor(Self.warmupsTotal), labels: [("outcome", outcome)])
            counters[outcome] = counter
            return counter
        }
        counter.increment()
    }

    // MARK: - The page

    /// Refreshes the state gauges from one loop's routing state (all loops converge on the same
    /// accounts and cooldowns) and renders the page in the Prometheus text format.
    func render(accounts: [Account], cooldowns: [CooldownEntry], attempts: [AttemptKey: UInt64]) -> [UInt8] {
        exportedAttempts.withLock { exported in
            for (key, total) in attempts {
                if let (counter, before) = exported[key] {
                    if total > before { counter.increment(by: Int64(total - before)) }
                    exported[key] = (counter, max(total, before))
                } else {
                    let counter = registry.makeCounter(
                        descriptor: Self.descriptor(Self.upstreamAttempts),
                        labels: [("account", key.account), ("outcome", key.outcome)])
                    counter.increment(by: Int64(total))
                    exported[key] = (counter, total)
                }
            }
        }
        if let connections {
            connectionSeries.open.set(Double(connections.openCount))
            connectionSeries.limit.set(Double(connections.maximum))
            let refused = connections.refusedCount
            refusedExported.withLock { exported in
                if refused > exported {
                    connectionSeries.refused.increment(by: Int64(refused - exported))
                    exported = refused
                }
            }
        }
        var values: [GaugeKey: Double] = [:]
        var accountCounts: [GaugeKey: Double] = [:]
        for tier in ["primary", "fallback"] {
            for state in ["enabled", "disabled", "forbidden"] {
                accountCounts[GaugeKey(name: Self.accounts, labels: [("tier", tier), ("state", state)])] = 0
            }
        }
        for account in accounts {
            for model in account.quota.models {
                values[GaugeKey(name: Self.quotaPercentage, labels: [("account", account.id), ("model", model.name)])] =
                    model.percentage
            }
            for window in account.quota.windows {
                // Several sources may report the same length (headers and a usage endpoint): the
                // tightest is shown.
                let key = GaugeKey(
                    name: Self.windowPercentage,
                    labels: [("account", account.id), ("model", window.model ?? ""), ("window", window.label)])
                values[key] = min(values[key] ?? 100, window.percentage)
            }
            for group in account.protectedModels {
                values[GaugeKey(name: Self.protectedGroup, labels: [("account", account.id), ("group", group)])] = 1
            }
            let state = account.disabled ? "disabled" : account.quota.isForbidden ? "forbidden" : "enabled"
            accountCounts[GaugeKey(name: Self.accounts, labels: [("tier", account.tier.rawValue), ("state", state)]), default: 0] += 1
        }
        values.merge(accountCounts) { $1 }
        for reason in CooldownReason.allCases {
            values[GaugeKey(name: Self.cooldownsActive, labels: [("reason", reason.rawValue)])] = 0
        }
        for entry in cooldowns {
            values[GaugeKey(name: Self.cooldownsActive, labels: [("reason", entry.reason.rawValue)]), default: 0] += 1
        }
        stateGauges.withLock { gauges in
            for (key, gauge) in gauges where values[key] == nil {
                registry.unregisterGauge(gauge)
                gauges[key] = nil
            }
            for (key, value) in values {
                let gauge = gauges[key] ?? registry.makeGauge(descriptor: Self.descriptor(key.name), labels: key.labels)
                gauges[key] = gauge
                gauge.set(value)
            }
        }
        return registry.emitToBuffer()
    }

    struct GaugeKey: Hashable, Sendable {
        var name: String
        var labels: [(String, String)]

        static func == (lhs: GaugeKey, rhs: GaugeKey) -> Bool {
            lhs.name == rhs.name && lhs.labels.elementsEqual(rhs.labels) { $0.0 == $1.0 && $0.1 == $1.1 }
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(name)
            for (label, value) in labels {
                hasher.combine(label)
                hasher.combine(value)
            }
        }
    }
}

/// An upstream attempt's labels.
struct AttemptKey: Hashable, Sendable {
    var account: String
    var outcome: String
}

/// One event loop's request-path metrics (see ``ProxyMetrics``). Loop-confined.
struct LoopMetrics {
    let shared: ProxyMetrics
    private var requests: [RequestKey: Prometheus.Counter] = [:]
    /// Attempts counted on this loop since start (exported when the page is scraped).
    private(set) var attempts: [AttemptKey: UInt64] = [:]
    private var requestTimers: [String: DurationHistogram] = [:]
    private var upstreamTimers: [String: DurationHistogram] = [:]

    /// Label sets cached per loop before the cache is reset (the registry keeps the series).
    static let cacheLimit = 20_000

    private struct RequestKey: Hashable {
        var route: String
        var model: String
        var status: Int
    }

    init(shared: ProxyMetrics) {
        self.shared = shared
    }

    /// Counts a finished request and records its total time.
    mutating func countRequest(route: String, model: String, status: Int, nanoseconds: Int64) {
        let key = RequestKey(route: route, model: model, status: status)
        if let counter = requests[key] {
            counter.increment()
        } else {
            if requests.count >= Self.cacheLimit { requests.removeAll() }
            let counter = shared.requestCounter(route: route, model: model.isEmpty ? model : shared.modelLabel(model), status: status)
            requests[key] = counter
            counter.increment()
        }
        Self.timer(route, in: &requestTimers, make: shared.requestTimer).record(.nanoseconds(nanoseconds))
    }

    /// Counts one upstream attempt by outcome and records how long the upstream took.
    mutating func countAttempt(route: String, account: String, outcome: String, nanoseconds: Int64) {
        attempts[AttemptKey(account: account, outcome: outcome), default: 0] += 1
        Self.timer(route, in: &upstreamTimers, make: shared.upstreamTimer).record(.nanoseconds(nanoseconds))
    }

    private static func timer(
        _ route: String, in timers: inout [String: DurationHistogram], make: (String) -> DurationHistogram
    ) -> DurationHistogram {
        if let timer = timers[route] { return timer }
        let timer = make(route)
        timers[route] = timer
        return timer
    }
}
