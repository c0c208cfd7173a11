import NIOPosix

/// Runs blocking file work on NIO's thread pool, never on an event loop, and waits for it.
///
/// Unlike `NIOThreadPool.runIfActive`, the work runs even when the calling task is cancelled:
/// the flushers have already taken the data out of the event loops, so skipping would lose it.
func onThreadPool<Result: Sendable>(_ work: @escaping @Sendable () -> Result) async -> Result {
    await withCheckedContinuation { continuation in
        NIOThreadPool.singleton.submit { _ in
            continuation.resume(returning: work())
        }
    }
}
