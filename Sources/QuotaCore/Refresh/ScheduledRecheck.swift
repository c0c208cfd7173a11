import Foundation

/// When the refresher should re-check one account because a reset of a protected or exhausted
/// model is due.
public struct ScheduledRecheck: Sendable, Equatable, Hashable {
    public var accountID: String
    /// Reset time + grace.
    public var at: Date
    /// The models whose reset leads to this time (those resetting at the earliest reset time), sorted.
    public var models: [String]

    public init(accountID: String, at: Date, models: [String]) {
        self.accountID = accountID
        self.at = at
        self.models = models
    }
}
