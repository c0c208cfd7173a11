import Foundation

/// Re-checks an account shortly after the quota of a protected or exhausted model resets, so a
/// protection entry never outlives the real quota (SPEC 2.5) instead of waiting for the next interval.
///
/// A model counts when its group is in the account's `protected_models` or its percentage is 0, and
/// it has a `reset_time` the stored figures have **not yet caught up with**: later than
/// `quota.lastUpdated` (or any reset time when the quota was never updated). So:
/// - a reset in the future is scheduled at `reset + grace`;
/// - a reset that passed after the last refresh is due at once (`at <= now`);
/// - a reset that lies before the last refresh is ignored: the source was asked after the reset and
///   still reports it, so asking again would loop; the normal interval covers it.
///
/// Disabled accounts are not scheduled (nothing routes to them; the regular refresh still runs).
/// Exhaustion known only to the proxy's cooldown table is not visible here.
public struct RecheckPlanner: Sendable {
    public let normalizer: ModelGroupNormalizer
    /// Seconds added to a reset time before re-checking (the source needs a moment to reset).
    public let graceSeconds: TimeInterval

    public init(normalizer: ModelGroupNormalizer, graceSeconds: TimeInterval = 5) {
        self.normalizer = normalizer
        self.graceSeconds = graceSeconds
    }

    /// When `account` should be re-checked, if a relevant reset is pending.
    public func nextRecheck(for account: Account) -> ScheduledRecheck? {
        guard !account.disabled else { return nil }
        let protected = Set(account.protectedModels.map(normalizer.group(for:)))
        var earliest: Date?
        var models: Set<String> = []
        for model in account.quota.models {
            guard let reset = model.resetTime else { continue }
            if let updated = account.quota.lastUpdated, reset <= updated { continue }
            guard model.percentage <= 0 || protected.contains(normalizer.group(for: model.name)) else { continue }
            if earliest == nil || reset < earliest! {
                earliest = reset
                models = [model.name]
            } else if reset == earliest {
                models.insert(model.name)
            }
        }
        guard let earliest else { return nil }
        return ScheduledRecheck(accountID: account.id, at: earliest.addingTimeInterval(graceSeconds), models: models.sorted())
    }

    /// Every pending re-check, sorted by time then account id.
    public func nextRechecks(_ accounts: [Account]) -> [ScheduledRecheck] {
        accounts.compactMap(nextRecheck(for:)).sorted { ($0.at, $0.accountID) < ($1.at, $1.accountID) }
    }

    /// Ids of the accounts whose re-check time has come (`at <= now`), sorted.
    public func dueRechecks(_ accounts: [Account], now: Date) -> [String] {
        accounts.compactMap(nextRecheck(for:)).filter { $0.at <= now }.map(\.accountID).sorted()
    }

    /// The earliest re-check strictly after `now`, for the refresher's next wake-up.
    public func nextWakeUp(_ accounts: [Account], now: Date) -> Date? {
        accounts.compactMap(nextRecheck(for:)).map(\.at).filter { $0 > now }.min()
    }
}
