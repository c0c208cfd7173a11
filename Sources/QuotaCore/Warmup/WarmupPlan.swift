/// The result of one Smart Warmup scan (``WarmupPlanner/plan(accounts:history:now:)``).
public struct WarmupPlan: Sendable, Equatable {
    /// Whether `scheduled_warmup.enabled` was on; when off the plan is empty and history untouched.
    public var enabled: Bool
    /// Pairs to warm now, sorted by account id then model.
    public var toWarm: [WarmupTarget]
    /// All accounts looked at (the `accounts=` of the scan line).
    public var accountCount: Int
    /// Monitored pairs at 100% skipped because their last warmup is younger than the cooldown.
    public var cooldown: Int
    /// Monitored pairs below 100%.
    public var notFull: Int
    /// Monitored pairs on accounts whose windowed quota is stale (older than two refresh intervals or
    /// never refreshed): not warmed; ask the refresher first (see ``staleAccountIDs``).
    public var stale: Int
    /// The accounts behind ``stale``, sorted (includes stale accounts with no monitored pair yet).
    public var staleAccountIDs: [String]
    /// Accounts skipped because they are disabled or forbidden.
    public var skippedAccounts: Int
    /// Accounts skipped because their quota is rolling (`quota_source: headers`).
    public var rollingQuotaAccounts: Int
    /// The history with removals (models below 100%) and pruning applied; NOT the new warmups (record
    /// those with ``WarmupHistory/record(account:model:at:)`` after each successful warmup).
    public var history: WarmupHistory
    /// Keys removed because their model dropped below 100%, sorted.
    public var removedHistoryKeys: [String]
    /// Keys pruned for age, sorted.
    public var prunedHistoryKeys: [String]

    public init(
        enabled: Bool, toWarm: [WarmupTarget], accountCount: Int, cooldown: Int, notFull: Int, stale: Int,
        staleAccountIDs: [String], skippedAccounts: Int, rollingQuotaAccounts: Int, history: WarmupHistory,
        removedHistoryKeys: [String], prunedHistoryKeys: [String]
    ) {
        self.enabled = enabled
        self.toWarm = toWarm
        self.accountCount = accountCount
        self.cooldown = cooldown
        self.notFull = notFull
        self.stale = stale
        self.staleAccountIDs = staleAccountIDs
        self.skippedAccounts = skippedAccounts
        self.rollingQuotaAccounts = rollingQuotaAccounts
        self.history = history
        self.removedHistoryKeys = removedHistoryKeys
        self.prunedHistoryKeys = prunedHistoryKeys
    }

    /// Whether ``history`` differs from the history the plan was made from (write the file).
    public var historyChanged: Bool {
        !removedHistoryKeys.isEmpty || !prunedHistoryKeys.isEmpty
    }

    /// The scan's journal line once the warmups ran, e.g.
    /// `scan: accounts=12 warmed=3 cooldown=5 not_full=20 stale=0 failed=0 next_in=600s`.
    public func summaryLine(warmed: Int, failed: Int, nextInSeconds: Int) -> String {
        WarmupPlanner.scanSummaryLine(
            accounts: accountCount, warmed: warmed, cooldown: cooldown, notFull: notFull, stale: stale,
            failed: failed, nextInSeconds: nextInSeconds)
    }
}
