import Foundation

/// Codex subscription headers (`x-codex-{primary,secondary}-*`, ChatGPT OAuth accounts): two
/// account-wide windows whose length is given in minutes. Which one is 5 hours is never assumed.
public struct CodexLimits: Sendable, Equatable {
    /// One of the two windows.
    public struct Window: Sendable, Equatable {
        /// Used, 0–100.
        public var usedPercent: Double?
        public var windowMinutes: Double?
        /// `-reset-at` (Unix seconds).
        public var resetAt: Date?
        /// `-reset-after-seconds`, as a time.
        public var resetAfter: Date?

        public init() {}

        var isEmpty: Bool { usedPercent == nil && windowMinutes == nil && resetAt == nil && resetAfter == nil }

        func window(now: Date, maxResetHintSeconds: Int) -> QuotaWindow? {
            guard let usedPercent, let windowMinutes, windowMinutes > 0, windowMinutes <= 1_000_000 else { return nil }
            return QuotaWindow.classified(
                scope: .account, windowSeconds: Int((windowMinutes * 60).rounded()),
                percentage: 100 - min(100, max(0, usedPercent)),
                resetTime: QuotaWindows.clampedReset(resetAt ?? resetAfter, now: now, maxResetHintSeconds: maxResetHintSeconds),
                source: .headers, observedAt: now)
        }
    }

    public var primary = Window()
    public var secondary = Window()

    public init() {}

    public var isEmpty: Bool { primary.isEmpty && secondary.isEmpty }

    /// Account-scope windows, `rate_limit` or `quota` by their length; a window without
    /// `-window-minutes` or `-used-percent` is left out.
    public func windows(now: Date, maxResetHintSeconds: Int) -> [QuotaWindow] {
        [primary, secondary].compactMap { $0.window(now: now, maxResetHintSeconds: maxResetHintSeconds) }
    }
}
