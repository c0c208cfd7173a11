import Foundation
import Synchronization

/// A time of day that moves only when the test says so: quota windows, cooldowns and resets are
/// checked without sleeping.
public final class ManualClock: Sendable {
    private let current: Mutex<Date>

    public init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        current = Mutex(start)
    }

    /// The clock's time now.
    public var now: Date { current.withLock { $0 } }

    /// Moves the clock forward (or back, with a negative number).
    public func advance(by seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }
}
