import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// Stops a listening channel from accepting for ``duration`` after `accept` failed for want of
/// descriptors or memory (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`). Used by the control sockets'
/// ``AcceptPauseHandler`` and the proxy's HTTP listener.
///
/// Why not NIO's `AcceptBackoffHandler`: it delays the next `read()`, but when the first `accept`
/// of a read cycle fails NIO's server channel keeps its read pending and stays registered for
/// readability, so with connections waiting in the backlog the listener wakes up and fails again
/// at once, in a busy loop that takes a whole core for as long as descriptors are out. Turning
/// `autoRead` off removes the readability interest; turning it back on after the pause re-arms it.
///
/// Owned by one listener's handler and used on its event loop only.
public final class AcceptPause {
    /// How long accepting pauses after a failure that accepting again at once cannot cure.
    public static let duration = TimeAmount.milliseconds(250)

    private var isPaused = false

    public init() {}

    /// Failures that accepting again at once cannot cure.
    public static func isNeeded(after error: any Error) -> Bool {
        guard let error = error as? IOError else { return false }
        switch error.errnoCode {
        case EMFILE, ENFILE, ENOBUFS, ENOMEM: return true
        default: return false
        }
    }

    /// Stops accepting on `context`'s channel for ``duration`` (nothing when already paused).
    public func begin(_ context: ChannelHandlerContext) {
        guard !isPaused else { return }
        isPaused = true
        try? context.channel.syncOptions?.setOption(.autoRead, value: false)
        context.eventLoop.assumeIsolated().scheduleTask(in: Self.duration) { [self] in
            isPaused = false
            try? context.channel.syncOptions?.setOption(.autoRead, value: true)
        }
    }
}
