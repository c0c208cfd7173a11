import Foundation

/// The live quota counter of one model on one key: a fixed window that refills to `limit`
/// `resetSeconds` after it started.
struct QuotaWindow: Sendable, Equatable {
    var limit: Int
    var remaining: Int
    var resetSeconds: Int
    var windowStart: Date

    init(_ quota: ModelQuota, startingAt start: Date) {
        self.limit = quota.limit
        self.remaining = quota.remaining
        self.resetSeconds = quota.resetSeconds
        self.windowStart = start
    }

    /// When the current window ends.
    var resetAt: Date { windowStart.addingTimeInterval(TimeInterval(resetSeconds)) }

    /// Starts new windows until `now` is inside the current one, refilling `remaining`.
    mutating func roll(now: Date) {
        guard now >= resetAt else { return }
        let elapsed = now.timeIntervalSince(windowStart)
        let windows = (elapsed / TimeInterval(resetSeconds)).rounded(.down)
        windowStart = windowStart.addingTimeInterval(windows * TimeInterval(resetSeconds))
        remaining = limit
    }

    /// The configuration view of this counter (`reset_seconds` is the full window length).
    var quota: ModelQuota { ModelQuota(limit: limit, remaining: remaining, resetSeconds: resetSeconds) }

    /// The values advertised in rate-limit headers and quota endpoints.
    func snapshot(now: Date) -> QuotaSnapshot {
        QuotaSnapshot(limit: limit, remaining: remaining, resetAt: resetAt, now: now)
    }
}
