/// The outcome of ``AccountSelector/pick(_:cooldowns:now:)``.
public enum Selection: Sendable, Equatable {
    /// Send the request to this account.
    case selected(SelectedAccount)
    /// No account can take the request; answer the client with ``Unavailability/httpStatus``.
    case unavailable(Unavailability)

    /// The chosen account, if any.
    public var selected: SelectedAccount? {
        if case .selected(let account) = self { return account }
        return nil
    }

    /// The report, if no account was chosen.
    public var unavailability: Unavailability? {
        if case .unavailable(let report) = self { return report }
        return nil
    }
}

/// The account a request goes to.
public struct SelectedAccount: Sendable, Equatable {
    /// Position in ``AccountPool/accounts`` (``AccountPool/account(at:)``).
    public var index: Int
    public var id: String
    public var tier: Tier

    public init(index: Int, id: String, tier: Tier) {
        self.index = index
        self.id = id
        self.tier = tier
    }
}
