import Foundation

/// A point-in-time view of one model's quota on one key, as advertised to clients.
public struct QuotaSnapshot: Sendable, Equatable {
    /// Requests allowed per window.
    public var limit: Int
    /// Requests left in the current window.
    public var remaining: Int
    /// When the window refills.
    public var resetAt: Date
    /// The instant the snapshot was taken.
    public var now: Date

    /// Creates a snapshot.
    public init(limit: Int, remaining: Int, resetAt: Date, now: Date) {
        self.limit = limit
        self.remaining = remaining
        self.resetAt = resetAt
        self.now = now
    }

    /// Seconds until the window refills (never negative).
    public var secondsUntilReset: Double { max(0, resetAt.timeIntervalSince(now)) }

    /// `remaining / limit` in 0...1 (0 when the limit is 0).
    public var remainingFraction: Double { limit > 0 ? Double(remaining) / Double(limit) : 0 }

    /// The same snapshot with `remaining` forced to 0 (used by the `quota_exhausted` fault).
    var exhausted: QuotaSnapshot {
        var copy = self
        copy.remaining = 0
        return copy
    }
}
