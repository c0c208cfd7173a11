import Foundation

/// Smart Warmup scan (SPEC 2.4, seeds 001/002): which (account, model) pairs get one minimal request
/// now.
///
/// A pair is warmed when all hold:
/// - the account is enabled and not forbidden (else it counts in `skippedAccounts`);
/// - it has a warmable `quota` window (``WarmupEligibility``: a polled source's windows, or header
///   windows with a reset such as Anthropic's 5-hour one); rate limits (per-minute headers) never
///   trigger a warmup (such accounts count in `rollingQuotaAccounts`);
/// - polled quota is fresh: updated within two refresh intervals (else every monitored pair of the
///   account counts as `stale` and the account is listed in `staleAccountIDs`);
/// - account-wide windows (a subscription's 5-hour window) are warmed once, through the first
///   monitored model the account serves;
/// - the account serves the model (`Account.serves(model:)`) and the model is monitored
///   (`scheduled_warmup.monitored_models`, `"*"` = all, group-aware: ``ModelMatcher/matches(model:)``);
/// - the model's tightest warmable window is at exactly 100% (99.9 is not full);
/// - no history entry `"<id>:<model>:100"` is younger than `cooldown_seconds`. An entry exactly
///   `cooldown_seconds` old is no longer in cooldown.
///
/// History upkeep (applied to ``WarmupPlan/history``):
/// - every model whose warmable quota window is below 100% in the fresh quota of a scanned account
///   loses its entry, monitored or not (a manual warmup may have written it), so the next return to
///   100% warms again; a rate limit below 100% never removes one;
/// - entries at least 24 h old are pruned (the seed keeps `ts > now - 86400`); when `cooldown_seconds`
///   is configured above 24 h, entries are kept for the cooldown instead so pruning never cuts one
///   short.
/// Stale quota never removes an entry: the figures may predate the warmup.
///
/// `reset_time` is not required: a windowed source may omit it for a full model.
public struct WarmupPlanner: Sendable {
    public let configuration: QuotaProxyConfiguration.ScheduledWarmup
    public let refreshIntervalSeconds: Int
    public let normalizer: ModelGroupNormalizer
    private let matcher: ModelMatcher

    /// History entries at least this old are pruned (24 h).
    public static let historyRetentionSeconds = 86_400

    public init(
        configuration: QuotaProxyConfiguration.ScheduledWarmup, refreshIntervalSeconds: Int,
        normalizer: ModelGroupNormalizer
    ) {
        self.configuration = configuration
        self.refreshIntervalSeconds = refreshIntervalSeconds
        self.normalizer = normalizer
        self.matcher = ModelMatcher(monitoredModels: configuration.monitoredModels, normalizer: normalizer)
    }

    /// Uses `scheduled_warmup`, `refresher.interval_seconds` and `model_groups`.
    public init(configuration: QuotaProxyConfiguration) {
        self.init(
            configuration: configuration.scheduledWarmup,
            refreshIntervalSeconds: configuration.refresher.intervalSeconds,
            normalizer: ModelGroupNormalizer(configuration: configuration))
    }

    /// Plans one scan. Accounts are processed in id order; the result does not depend on input order.
    public func plan(accounts: [Account], history: WarmupHistory, now: Date) -> WarmupPlan {
        guard configuration.enabled else {
            return WarmupPlan(
                enabled: false, toWarm: [], accountCount: accounts.count, cooldown: 0, notFull: 0, stale: 0,
                staleAccountIDs: [], skippedAccounts: 0, rollingQuotaAccounts: 0, history: history,
                removedHistoryKeys: [], prunedHistoryKeys: [])
        }
        let rules = WarmupEligibility(
            refreshIntervalSeconds: refreshIntervalSeconds, cooldownSeconds: configuration.cooldownSeconds)
        var updated = history
        var toWarm: [WarmupTarget] = []
        var cooldown = 0, notFull = 0, stale = 0, skipped = 0, rolling = 0
        var staleIDs: [String] = []
        var removed: [String] = []

        for account in accounts.sorted(by: { $0.id < $1.id }) {
            switch rules.state(of: account, now: now) {
            case .disabled, .forbidden:
                skipped += 1
                continue
            case .rollingQuota:
                rolling += 1
                continue
            case .stale:
                stale += rules.models(of: account, now: now, prefers: matcher.matches(model:)).filter { matcher.matches(model: $0.name) }.count
                staleIDs.append(account.id)
                continue
            case .usable:
                break
            }
            for quota in rules.models(of: account, now: now, prefers: matcher.matches(model:)) {
                let target = WarmupTarget(accountID: account.id, model: quota.name)
                guard WarmupEligibility.isFull(quota) else {
                    if updated.entries.removeValue(forKey: target.historyKey) != nil { removed.append(target.historyKey) }
                    if matcher.matches(model: quota.name) { notFull += 1 }
                    continue
                }
                guard matcher.matches(model: quota.name) else { continue }
                if rules.isInCooldown(target, history: updated, now: now) {
                    cooldown += 1
                } else {
                    toWarm.append(target)
                }
            }
        }

        let pruned = Self.prune(&updated, now: now, cooldownSeconds: configuration.cooldownSeconds)
        return WarmupPlan(
            enabled: true, toWarm: toWarm, accountCount: accounts.count, cooldown: cooldown, notFull: notFull,
            stale: stale, staleAccountIDs: staleIDs, skippedAccounts: skipped, rollingQuotaAccounts: rolling,
            history: updated, removedHistoryKeys: removed.sorted(), prunedHistoryKeys: pruned)
    }

    /// Whether a pair is in cooldown at `now` (its last warmup is younger than `cooldown_seconds`).
    public func isInCooldown(_ target: WarmupTarget, history: WarmupHistory, now: Date) -> Bool {
        WarmupEligibility(refreshIntervalSeconds: refreshIntervalSeconds, cooldownSeconds: configuration.cooldownSeconds)
            .isInCooldown(target, history: history, now: now)
    }

    /// Removes entries at least `max(24 h, cooldownSeconds)` old; returns their keys, sorted.
    @discardableResult
    public static func prune(_ history: inout WarmupHistory, now: Date, cooldownSeconds: Int) -> [String] {
        let keep = Int64(max(historyRetentionSeconds, cooldownSeconds))
        let nowSeconds = Timestamp.unixSeconds(now)
        let expired = history.entries.filter { nowSeconds - $0.value >= keep }.keys.sorted()
        for key in expired { history.entries[key] = nil }
        return expired
    }

    /// The one journal line per scan:
    /// `scan: accounts=12 warmed=3 cooldown=5 not_full=20 stale=0 failed=0 next_in=600s`.
    public static func scanSummaryLine(
        accounts: Int, warmed: Int, cooldown: Int, notFull: Int, stale: Int, failed: Int, nextInSeconds: Int
    ) -> String {
        "scan: accounts=\(accounts) warmed=\(warmed) cooldown=\(cooldown) not_full=\(notFull) stale=\(stale) failed=\(failed) next_in=\(nextInSeconds)s"
    }
}
