import Foundation

/// The rules shared by the scheduled planner and manual warmup: which accounts can be looked at and
/// which of their models are full.
struct WarmupEligibility: Sendable {
    enum AccountState: Equatable {
        case disabled
        case forbidden
        /// `quota_source: headers`: rolling limits never trigger a warmup.
        case rollingQuota
        /// Windowed quota older than two refresh intervals (or never refreshed).
        case stale
        case usable
    }

    let refreshIntervalSeconds: Int
    let cooldownSeconds: Int

    func state(of account: Account, now: Date) -> AccountState {
        if account.disabled { return .disabled }
        if account.quota.isForbidden { return .forbidden }
        if !account.quotaSource.isWindowed { return .rollingQuota }
        if QuotaMerge.isStale(account.quota, now: now, refreshIntervalSeconds: refreshIntervalSeconds) { return .stale }
        return .usable
    }

    /// The account's quota entries it serves, one per model name (first entry wins), sorted by name.
    func models(of account: Account) -> [ModelQuota] {
        var seen: Set<String> = []
        return account.quota.models
            .filter { account.serves(model: $0.name) && seen.insert($0.name).inserted }
            .sorted { $0.name < $1.name }
    }

    static func isFull(_ quota: ModelQuota) -> Bool {
        quota.percentage >= 100
    }

    /// A pair is in cooldown while its last warmup is younger than `cooldownSeconds`; an entry exactly
    /// `cooldownSeconds` old is no longer in cooldown (the seed's `now - last < cooldown`). Whole unix
    /// seconds are compared, as the history file stores them.
    func isInCooldown(_ target: WarmupTarget, history: WarmupHistory, now: Date) -> Bool {
        guard let last = history.entries[target.historyKey] else { return false }
        return Timestamp.unixSeconds(now) - last < Int64(cooldownSeconds)
    }
}
