import Foundation
import Glibc
import Synchronization

/// Runs code that may block for ever (reading a FIFO, say) on its own thread, so a test of "this
/// must not block" fails instead of hanging the test run.
public enum BlockingCall {
    /// Runs `body` on a new thread and waits at most `timeout` for it. When it has not returned by
    /// then, `unblock` is called (e.g. opening the FIFO for writing, so the blocked read ends) and
    /// `nil` is returned; the caller records the failure.
    public static func run<T: Sendable>(
        timeout: Duration, unblock: @escaping @Sendable () -> Void = {}, _ body: @escaping @Sendable () -> T
    ) async -> T? {
        let box = ResultBox<T>()
        let thread = Thread {
            let value = body()
            box.value.withLock { $0 = value }
        }
        thread.start()
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let value = box.value.withLock({ $0 }) { return value }
            try? await Task.sleep(for: .milliseconds(5))
        }
        // A last look: on a loaded machine this task may wake only after the deadline, when the
        // body finished long before (the thread ran; the waiting task did not).
        if let value = box.value.withLock({ $0 }) { return value }
        unblock()
        return nil
    }

    /// Opens a FIFO for writing and closes it at once: a reader blocked in `open` or `read` of it
    /// gets end-of-file.
    public static func releaseFIFO(at path: String) {
        for _ in 0..<200 {
            let fd = open(path, O_WRONLY | O_NONBLOCK)
            if fd >= 0 {
                close(fd)
                return
            }
            usleep(10_000)
        }
    }
}

private final class ResultBox<T: Sendable>: Sendable {
    let value = Mutex<T?>(nil)
}
