import Foundation

/// Anthropic's unified subscription headers (`anthropic-ratelimit-unified-*`, Claude Pro/Max OAuth
/// accounts): an account-wide 5-hour and 7-day window. Utilization is a fraction 0–1, resets are
/// Unix seconds, statuses `allowed`, `allowed_warning` or `rejected`.
public struct UnifiedLimits: Sendable, Equatable {
    /// One of the unified windows.
    public struct Window: Sendable, Equatable {
        /// Used fraction, 0–1.
        public var utilization: Double?
        public var resetAt: Date?
        public var status: Status?

        public init(utilization: Double? = nil, resetAt: Date? = nil, status: Status? = nil) {
            self.utilization = utilization
            self.resetAt = resetAt
            self.status = status
        }

        var isEmpty: Bool { utilization == nil && resetAt == nil && status == nil }
    }

    /// `-status` values.
    public enum Status: String, Sendable, Equatable {
        case allowed
        case allowedWarning = "allowed_warning"
        case rejected
    }

    /// `-representative-claim` values: the window that binds now.
    public enum Claim: String, Sendable, Equatable {
        case fiveHour = "five_hour"
        case sevenDay = "seven_day"
    }

    public var fiveHour = Window()
    public var sevenDay = Window()
    /// `anthropic-ratelimit-unified-status` (overall).
    public var status: Status?
    /// `anthropic-ratelimit-unified-reset`: the reset of the binding window.
    public var resetAt: Date?
    public var representativeClaim: Claim?

    public init() {}

    public var isEmpty: Bool {
        fiveHour.isEmpty && sevenDay.isEmpty && status == nil && resetAt == nil && representativeClaim == nil
    }

    /// The account-scope quota windows the headers describe: 18000 s and 604800 s, percentage
    /// (1 − utilization) × 100, 0 when that window (or the binding one, on an overall `rejected`)
    /// is rejected.
    public func windows(now: Date, maxResetHintSeconds: Int) -> [QuotaWindow] {
        var result: [QuotaWindow] = []
        let binding = representativeClaim ?? .fiveHour
        for (claim, window, seconds) in [(Claim.fiveHour, fiveHour, 18_000), (Claim.sevenDay, sevenDay, 604_800)] {
            let overallRejected = status == .rejected && claim == binding
            let rejected = window.status == .rejected || overallRejected
            guard window.utilization != nil || rejected else { continue }
            var percentage = (1 - min(1, max(0, window.utilization ?? 1))) * 100
            if rejected { percentage = 0 }
            let reset = window.resetAt ?? (claim == binding ? resetAt : nil)
            result.append(
                QuotaWindow(
                    kind: .quota, scope: .account, windowSeconds: seconds, percentage: (percentage * 1e6).rounded() / 1e6,
                    resetTime: QuotaWindows.clampedReset(reset, now: now, maxResetHintSeconds: maxResetHintSeconds),
                    source: .headers, observedAt: now))
        }
        return result
    }
}
