import CSystemd
import Glibc

/// Sends service state to systemd (`sd_notify`) for `Type=notify` units.
///
/// Outside systemd (`$NOTIFY_SOCKET` unset) every call is a no-op, so the services run the same
/// way from a shell. `sd_notifyf` is variadic and not importable from Swift, so messages are built
/// here and passed to `sd_notify` whole.
public struct SystemdNotifier: Sendable {
    public init() {}

    /// Whether a notification socket was handed to this process.
    public var isEnabled: Bool {
        getenv("NOTIFY_SOCKET") != nil
    }

    /// `READY=1` with a one-line `STATUS=`: the service can do its job now.
    @discardableResult
    public func ready(status: String) -> Bool {
        send(["READY=1", "STATUS=\(Self.oneLine(status))"])
    }

    /// `STATUS=…`: the one-line summary `systemctl status` shows.
    @discardableResult
    public func status(_ status: String) -> Bool {
        send(["STATUS=\(Self.oneLine(status))"])
    }

    /// `RELOADING=1` (with `MONOTONIC_USEC`, which newer systemd requires): configuration is being
    /// reloaded; follow with ``ready(status:)``.
    @discardableResult
    public func reloading() -> Bool {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let usec = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
        return send(["RELOADING=1", "MONOTONIC_USEC=\(usec)", "STATUS=Reloading configuration"])
    }

    /// `STOPPING=1`: shutdown has begun.
    @discardableResult
    public func stopping(status: String = "Shutting down") -> Bool {
        send(["STOPPING=1", "STATUS=\(Self.oneLine(status))"])
    }

    /// `WATCHDOG=1`: the keep-alive for `WatchdogSec=`.
    @discardableResult
    public func watchdog() -> Bool {
        send(["WATCHDOG=1"])
    }

    /// The watchdog interval systemd expects (`WATCHDOG_USEC` for this pid), or `nil` when off.
    public func watchdogInterval() -> Duration? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(usec))
    }

    /// Sends the given `KEY=VALUE` assignments in one datagram. Returns whether systemd was told.
    @discardableResult
    public func send(_ assignments: [String]) -> Bool {
        guard isEnabled else { return false }
        return sd_notify(0, assignments.joined(separator: "\n")) > 0
    }

    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
