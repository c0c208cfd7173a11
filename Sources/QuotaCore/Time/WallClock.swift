import Foundation

/// Where the time of day comes from: the system clock in the services, a clock a test moves by
/// hand when it checks what happens at a reset or a cooldown's end without waiting for it.
///
/// Only wall time goes through it (cooldown ends, reset times, `Retry-After`); durations of
/// requests are measured with the monotonic clock.
public struct WallClock: Sendable {
    private let read: @Sendable () -> Date

    /// A clock that answers `read()`.
    public init(_ read: @escaping @Sendable () -> Date) {
        self.read = read
    }

    /// The time now.
    public func now() -> Date { read() }

    /// The system's clock.
    public static let system = WallClock { Date() }
}
