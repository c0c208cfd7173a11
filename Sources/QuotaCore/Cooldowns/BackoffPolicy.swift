import Foundation

/// Exponential backoff for quota exhaustion without a known reset time: 1 s after the first
/// exhaustion, doubling with each consecutive one, capped at 30 minutes.
public struct BackoffPolicy: Sendable, Equatable {
    /// The delay after the first exhaustion.
    public var initial: TimeInterval
    /// The longest delay.
    public var maximum: TimeInterval

    public init(initial: TimeInterval = 1, maximum: TimeInterval = 30 * 60) {
        self.initial = initial
        self.maximum = maximum
    }

    /// The delay after the `consecutive`-th exhaustion in a row (1-based; values below 1 count as 1):
    /// `initial × 2^(consecutive − 1)`, at most ``maximum``.
    public func delay(consecutive: Int) -> TimeInterval {
        let exponent = max(0, consecutive - 1)
        // 2^63 overflows; anything past 62 doublings is at the cap anyway.
        guard exponent < 62 else { return maximum }
        return min(maximum, initial * Double(UInt64(1) << UInt64(exponent)))
    }
}
