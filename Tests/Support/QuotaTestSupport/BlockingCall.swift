import Foundation
import Glibc
import Synchronization

/// Runs blocking work (reading a FIFO, `waitpid`, a blocking socket) on a thread of its own, so it
/// never occupies a thread of Swift concurrency's cooperative pool: that pool has one thread per
/// core (two on the CI machine), and a test blocking one starves every other task of the test
/// process (a timeout task, a `NOTIFY_SOCKET` listener, a server the test talks to).
///
/// The waiting task suspends on a continuation that the thread resumes the moment the work
/// returns; a time limit resumes it with `nil` instead, so a test of "this must not block" fails
/// instead of hanging the test run.
public enum BlockingCall {
    /// Runs `body` on a new thread and waits at most `timeout` for it. When it has not returned by
    /// then, `unblock` is called (on a thread of its own, e.g. opening the FIFO for writing, so the
    /// blocked read ends) and `nil` is returned; the caller records the failure.
    public static func run<T: Sendable>(
        timeout: Duration, unblock: @escaping @Sendable () -> Void = {}, _ body: @escaping @Sendable () -> T
    ) async -> T? {
        let call = start(body)
        if let value = await call.value(within: timeout) { return value }
        await start(unblock).value()
        return nil
    }

    /// Runs `body` on a new thread and waits, without a time limit, for what it returns or throws.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await start { Result { try body() } }.value().get()
    }

    /// Starts `body` on a new thread; await its ``Pending/value(within:)`` (as often as needed).
    public static func start<T: Sendable>(_ body: @escaping @Sendable () -> T) -> Pending<T> {
        Pending(body)
    }

    /// The result of blocking work running on its own thread.
    public final class Pending<T: Sendable>: Sendable {
        private struct State {
            var value: T?
            var waiters: [Int: CheckedContinuation<T?, Never>] = [:]
            var expired: Set<Int> = []
            var nextWaiter = 0
        }

        private let state = Mutex(State())

        fileprivate init(_ body: @escaping @Sendable () -> T) {
            let thread = Thread { [self] in deliver(body()) }
            thread.stackSize = 1 << 20
            thread.start()
        }

        /// A result that something other than a thread of its own delivers (e.g. a process's
        /// termination handler) through ``deliver(_:)``.
        public init() {}

        /// What the body returned, waiting at most `limit` for it: `nil` when it is still running
        /// then. May be called again (e.g. once more after unblocking the body).
        public func value(within limit: Duration) async -> T? {
            let id = state.withLock { state in
                state.nextWaiter += 1
                return state.nextWaiter
            }
            let timer = Task { [self] in
                try? await Task.sleep(for: limit)
                expire(id)
            }
            defer { timer.cancel() }
            return await withCheckedContinuation { continuation in
                let answer: T?? = state.withLock { state in
                    if let value = state.value { return .some(value) }
                    if state.expired.remove(id) != nil { return .some(nil) }
                    state.waiters[id] = continuation
                    return nil
                }
                if let answer { continuation.resume(returning: answer) }
            }
        }

        /// What the body returned, however long it takes.
        public func value() async -> T {
            while true {
                if let value = await value(within: .seconds(3600)) { return value }
            }
        }

        /// Records the result and wakes every waiter; only the first call counts.
        public func deliver(_ value: T) {
            let waiters = state.withLock { state -> [CheckedContinuation<T?, Never>] in
                guard state.value == nil else { return [] }
                state.value = value
                defer { state.waiters = [:] }
                return Array(state.waiters.values)
            }
            for waiter in waiters { waiter.resume(returning: value) }
        }

        private func expire(_ id: Int) {
            let waiter = state.withLock { state -> CheckedContinuation<T?, Never>? in
                guard state.value == nil else { return nil }
                if let waiter = state.waiters.removeValue(forKey: id) { return waiter }
                // The timer ran before the waiter was registered (a zero limit, a loaded machine).
                state.expired.insert(id)
                return nil
            }
            waiter?.resume(returning: nil)
        }
    }

    /// Opens a FIFO for writing and closes it at once: a reader blocked in `open` or `read` of it
    /// gets end-of-file. Retries for up to 2 s while nothing has the FIFO open for reading yet
    /// (`ENXIO`); returns at once when the FIFO is gone. Blocks: call it off the cooperative pool
    /// (as ``run(timeout:unblock:_:)`` calls `unblock`) or use ``releaseFIFOInBackground(at:)``.
    public static func releaseFIFO(at path: String) {
        for _ in 0..<200 {
            let fd = open(path, O_WRONLY | O_NONBLOCK)
            if fd >= 0 {
                close(fd)
                return
            }
            guard errno == ENXIO || errno == EINTR else { return }
            usleep(10_000)
        }
    }

    /// ``releaseFIFO(at:)`` on a thread of its own, not waited for (for a `defer` in an async test).
    public static func releaseFIFOInBackground(at path: String) {
        _ = start { releaseFIFO(at: path) }
    }
}
