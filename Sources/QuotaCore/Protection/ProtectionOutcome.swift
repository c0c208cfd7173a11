/// What Quota Protection decided for one account.
public struct ProtectionOutcome: Sendable, Equatable {
    public var accountID: String
    /// The new `protected_models`: sorted, without duplicates, group names only.
    public var protectedModels: [String]
    /// Additions and removals with their operator messages, sorted by group.
    public var changes: [ProtectionChange]
    /// Whether the account has any `quota.models` (without them protection cannot act).
    public var hasQuotaData: Bool

    public init(accountID: String, protectedModels: [String], changes: [ProtectionChange], hasQuotaData: Bool) {
        self.accountID = accountID
        self.protectedModels = protectedModels
        self.changes = changes
        self.hasQuotaData = hasQuotaData
    }

    /// Whether `account.protectedModels` differs from ``protectedModels`` and the account file must
    /// be written. Also true when only the form changed (order, duplicates, a member name folded
    /// into its group), in which case ``changes`` can be empty.
    public func needsWrite(comparedTo account: Account) -> Bool {
        account.protectedModels != protectedModels
    }

    /// The account with ``protectedModels`` applied.
    public func applied(to account: Account) -> Account {
        var copy = account
        copy.protectedModels = protectedModels
        return copy
    }
}
