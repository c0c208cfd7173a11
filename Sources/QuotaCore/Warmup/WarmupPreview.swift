import Foundation

/// What the next Smart Warmup scan would do, without doing it (`scheduler.sock` `plan`,
/// `quota-proxyctl warmup --plan`, the dashboard): the pairs it would warm now, the counts of its
/// scan line, and the warmup history with when each pair's cooldown ends.
public struct WarmupPreview: Sendable, Equatable {
    /// One `warmup_history.json` entry.
    public struct HistoryEntry: Sendable, Equatable {
        public var account: String
        public var model: String
        public var warmedAt: Date
        /// When the pair may be warmed again by a scan.
        public var cooldownUntil: Date

        public init(account: String, model: String, warmedAt: Date, cooldownUntil: Date) {
            self.account = account
            self.model = model
            self.warmedAt = warmedAt
            self.cooldownUntil = cooldownUntil
        }
    }

    public var plan: WarmupPlan
    /// Newest first; entries whose key is not `<account>:<model>:100` are left out.
    public var history: [HistoryEntry]
    public var now: Date

    /// Plans a scan at `now` (``WarmupPlanner/plan(accounts:history:now:)``) and lists `history`.
    public init(planner: WarmupPlanner, accounts: [Account], history: WarmupHistory, now: Date) {
        self.plan = planner.plan(accounts: accounts, history: history, now: now)
        self.now = now
        let cooldown = TimeInterval(planner.configuration.cooldownSeconds)
        self.history = history.entries.compactMap { key, seconds -> HistoryEntry? in
            guard let (account, model) = Self.pair(of: key) else { return nil }
            let warmed = Timestamp.date(unixSeconds: seconds)
            return HistoryEntry(account: account, model: model, warmedAt: warmed, cooldownUntil: warmed.addingTimeInterval(cooldown))
        }.sorted { ($0.warmedAt, $1.account, $1.model) > ($1.warmedAt, $0.account, $0.model) }
    }

    /// The account and model of a history key `"<account-id>:<model>:100"` (account ids hold no
    /// colon; a model may).
    public static func pair(of key: String) -> (account: String, model: String)? {
        guard key.hasSuffix(":100") else { return nil }
        let rest = key.dropLast(4)
        guard let colon = rest.firstIndex(of: ":") else { return nil }
        let account = rest[..<colon]
        let model = rest[rest.index(after: colon)...]
        guard !account.isEmpty, !model.isEmpty else { return nil }
        return (String(account), String(model))
    }

    /// The answer of `plan`.
    public var json: JSONValue {
        [
            "enabled": .bool(plan.enabled),
            "to_warm": .array(plan.toWarm.map { ["account": .string($0.accountID), "model": .string($0.model)] }),
            "accounts": .number(Double(plan.accountCount)),
            "cooldown": .number(Double(plan.cooldown)),
            "not_full": .number(Double(plan.notFull)),
            "stale": .number(Double(plan.stale)),
            "stale_accounts": .array(plan.staleAccountIDs.map(JSONValue.string)),
            "skipped_accounts": .number(Double(plan.skippedAccounts)),
            "rolling_quota_accounts": .number(Double(plan.rollingQuotaAccounts)),
            "history": .array(
                history.map { entry in
                    [
                        "account": .string(entry.account),
                        "model": .string(entry.model),
                        "warmed_at": .string(Timestamp.format(entry.warmedAt)),
                        "cooldown_until": .string(Timestamp.format(entry.cooldownUntil)),
                        "in_cooldown": .bool(entry.cooldownUntil > now),
                    ]
                }),
        ]
    }
}
