import AsyncHTTPClient
import Foundation
import QuotaTestSupport
import Testing
import UpstreamSimulator

@Suite("In-process lifecycle")
struct LifecycleTests {
    @Test("withRunningServer reports the bound port and stops the server afterwards")
    func stopsAfterBody() async throws {
        let simulator = try UpstreamSimulator(configuration: .oneKey(), logger: SimulatorHarness.quietLogger)
        let port = try await simulator.withRunningServer { (port: Int) async throws -> Int in
            let harness = SimulatorHarness(port: port, state: simulator.state, clock: ManualClock())
            #expect(try await harness.send(.GET, "/healthz").status == 200)
            return port
        }
        #expect(port > 0)
        // The listening socket is closed once withRunningServer returns. (Checked with a raw
        // connect: AsyncHTTPClient keeps retrying a refused connection until its deadline.)
        #expect(try await RawTCPClient.isListening(port: port) == false)
    }

    @Test("A port that is already taken makes withRunningServer throw")
    func portInUse() async throws {
        let first = try UpstreamSimulator(configuration: SimulatorConfiguration(), logger: SimulatorHarness.quietLogger)
        let second = try UpstreamSimulator(configuration: SimulatorConfiguration(), logger: SimulatorHarness.quietLogger)
        try await first.withRunningServer { port in
            await #expect(throws: (any Error).self) {
                try await second.withRunningServer(port: port) { _ in }
            }
        }
    }

    @Test("run(onListening:) can be driven directly and stopped by cancelling its task")
    func runAndCancel() async throws {
        let simulator = try UpstreamSimulator(configuration: .oneKey(), logger: SimulatorHarness.quietLogger)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let server = Task { try await simulator.run(host: "127.0.0.1", port: 0) { continuation.yield($0) } }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        let harness = SimulatorHarness(port: port, state: simulator.state, clock: ManualClock())
        #expect(try await harness.chat(key: "sk-a", model: "m").status == 200)
        server.cancel()
        _ = await server.result
        #expect(await simulator.state.quota(forKey: "sk-a", model: "m")?.remaining == 9)
    }
}
