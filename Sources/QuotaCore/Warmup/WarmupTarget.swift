/// One (account, model) pair to warm up: a minimal request pinned to the account.
public struct WarmupTarget: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var accountID: String
    /// The model name exactly as the quota source reports it (also the history key's model part).
    public var model: String

    public init(accountID: String, model: String) {
        self.accountID = accountID
        self.model = model
    }

    /// The `warmup_history.json` key of this pair: `"<account-id>:<model>:100"`.
    public var historyKey: String {
        WarmupHistory.key(account: accountID, model: model)
    }

    /// Ordered by account id, then model.
    public static func < (lhs: WarmupTarget, rhs: WarmupTarget) -> Bool {
        (lhs.accountID, lhs.model) < (rhs.accountID, rhs.model)
    }

    public var description: String { "\(model)@\(accountID)" }
}
