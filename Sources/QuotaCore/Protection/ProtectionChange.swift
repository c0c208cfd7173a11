/// One change Quota Protection made to an account's `protected_models`, with the one-line
/// operator message that goes to the journal and to `quota-proxyctl protection`.
public struct ProtectionChange: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        /// The group was added to `protected_models`.
        case protected
        /// The group was removed from `protected_models`.
        case restored
    }

    /// Why the change happened.
    public enum Reason: Sendable, Equatable {
        /// The group's percentage is at or below the threshold.
        case atOrBelowThreshold(percentage: Double, threshold: Int)
        /// The group's percentage rose above the threshold.
        case aboveThreshold(percentage: Double, threshold: Int)
        /// The group is no longer covered by `quota_protection.monitored_models`.
        case noLongerMonitored
    }

    public var kind: Kind
    public var accountID: String
    /// The protection group (as written in `protected_models`).
    public var group: String
    public var reason: Reason

    public init(kind: Kind, accountID: String, group: String, reason: Reason) {
        self.kind = kind
        self.accountID = accountID
        self.group = group
        self.reason = reason
    }

    /// E.g. `protected claude-sonnet-4-5 on acc-2 (8% <= 10%)`,
    /// `restored claude-sonnet-4-5 on acc-2 (45% > 10%)`,
    /// `restored claude-sonnet-4-5 on acc-2 (no longer monitored)`.
    public var message: String {
        let detail: String
        switch reason {
        case .atOrBelowThreshold(let percentage, let threshold):
            detail = "\(PercentText.format(percentage))% <= \(threshold)%"
        case .aboveThreshold(let percentage, let threshold):
            detail = "\(PercentText.format(percentage))% > \(threshold)%"
        case .noLongerMonitored:
            detail = "no longer monitored"
        }
        return "\(kind.rawValue) \(group) on \(accountID) (\(detail))"
    }
}
