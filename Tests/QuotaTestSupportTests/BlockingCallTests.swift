import Foundation
import Glibc
import QuotaTestSupport
import Synchronization
import Testing

/// A gate blocking threads until opened (or until 30 s passed): what blocking work looks like.
final class Gate: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private let opened = Mutex(false)

    /// Blocks the calling thread; true when the gate was opened, false after 30 s.
    func pass() -> Bool {
        if semaphore.wait(timeout: .now() + 30) == .timedOut { return false }
        semaphore.signal()
        return true
    }

    func open() {
        opened.withLock { $0 = true }
        semaphore.signal()
    }

    var isOpen: Bool { opened.withLock { $0 } }
}

/// How many of a test's concurrent tasks have started and finished.
final class Counts: Sendable {
    let value = Mutex((started: 0, finished: 0))
}

@Suite("Blocking calls off the cooperative pool")
struct BlockingCallTests {
    @Test func returnsWhatTheBodyReturned() async throws {
        #expect(await BlockingCall.run(timeout: .seconds(60)) { 6 * 7 } == 42)
        #expect(try await BlockingCall.run { "thrown or returned" } == "thrown or returned")
        await #expect(throws: POSIXError.self) {
            try await BlockingCall.run { () throws -> Int in throw POSIXError(.EIO) }
        }
    }

    /// A body still blocked at the time limit gives `nil`, and `unblock` is called (which lets
    /// the body end).
    @Test func aBodyStillBlockedAtTheLimitIsUnblocked() async throws {
        let gate = Gate()
        let bodyEnded = BlockingCall.Pending<Bool>()
        let result = await BlockingCall.run(timeout: .milliseconds(300), unblock: { gate.open() }) { () -> Bool in
            let passed = gate.pass()
            bodyEnded.deliver(passed)
            return passed
        }
        #expect(result == nil)
        #expect(gate.isOpen, "unblock was not called")
        #expect(await bodyEnded.value(within: .seconds(60)) == true, "the body did not end once unblocked")
    }

    /// A pending result can be waited for again after a wait that timed out.
    @Test func aPendingResultCanBeAwaitedAgain() async throws {
        let gate = Gate()
        let pending = BlockingCall.start { gate.pass() }
        #expect(await pending.value(within: .milliseconds(100)) == nil)
        #expect(await pending.value(within: .zero) == nil)
        gate.open()
        #expect(await pending.value(within: .seconds(60)) == true)
        #expect(await pending.value(within: .zero) == true, "the value is kept for later waits")
        #expect(await pending.value() == true)
    }

    /// Many blocked bodies (more than the cooperative pool has threads) leave the pool free:
    /// another task runs while they all still block.
    @Test func blockedBodiesOccupyNoThreadOfTheCooperativePool() async throws {
        let gate = Gate()
        let calls = ProcessInfo.processInfo.activeProcessorCount * 2 + 2
        let counts = Counts()
        await withTaskGroup(of: Bool?.self) { group in
            for _ in 0..<calls {
                group.addTask {
                    counts.value.withLock { $0.started += 1 }
                    defer { counts.value.withLock { $0.finished += 1 } }
                    return await BlockingCall.run(timeout: .seconds(120)) { gate.pass() }
                }
            }
            while counts.value.withLock({ $0.started }) < calls { try? await Task.sleep(for: .milliseconds(10)) }
            try? await Task.sleep(for: .milliseconds(100))
            let finishedWhenProbed = await Task { counts.value.withLock { $0.finished } }.value
            #expect(finishedWhenProbed == 0, "a task ran only after \(finishedWhenProbed) of the \(calls) blocked calls had ended")
            gate.open()
            for await passed in group {
                #expect(passed == true)
            }
        }
    }

    /// Releasing a FIFO ends a reader blocked opening it, and returns at once when it is gone.
    @Test func releasingAFIFOEndsABlockedReader() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let fifo = directory.path + "/fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        let reader = BlockingCall.start { () -> Int in
            let fd = open(fifo, O_RDONLY)
            guard fd >= 0 else { return -1 }
            defer { close(fd) }
            var byte: UInt8 = 0
            return read(fd, &byte, 1)
        }
        #expect(await reader.value(within: .milliseconds(200)) == nil, "the reader should block until released")
        BlockingCall.releaseFIFOInBackground(at: fifo)
        #expect(await reader.value(within: .seconds(60)) == 0, "the reader got no end-of-file")
        unlink(fifo)
        let started = ContinuousClock.now
        try await BlockingCall.run { BlockingCall.releaseFIFO(at: fifo) }
        // (It retried for 2 s before.)
        #expect(ContinuousClock.now - started < .milliseconds(1500), "releasing a FIFO that is gone must not retry")
    }
}
