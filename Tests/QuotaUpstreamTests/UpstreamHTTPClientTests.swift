import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

@testable import QuotaUpstream

@Suite("UpstreamHTTPClient", .timeLimit(.minutes(1)))
struct UpstreamHTTPClientTests {
    @Test func collectsWholeBodies() async throws {
        let server = try await TestHTTPServer.start()
        let group = MultiThreadedEventLoopGroup.singleton
        let pools = UpstreamPools(group: group)
        let client = UpstreamHTTPClient(pools: pools, group: group)

        let streamed = try await client.send(get(server.origin(), "/stream?n=4&delayMs=2"))
        #expect(streamed.status == .ok)
        #expect(String(buffer: streamed.body) == "part-0;part-1;part-2;part-3;")

        let echoed = try await client.send(
            UpstreamRequest(origin: server.origin(), method: .POST, path: "/echo", body: ByteBuffer(string: "{\"a\":1}"))
        )
        #expect(String(buffer: echoed.body) == "{\"a\":1}")
        #expect(echoed.headers["content-length"] == ["7"])

        let empty = try await client.send(get(server.origin(), "/status/204"))
        #expect(empty.status == .noContent)
        #expect(empty.body.readableBytes == 0)

        await pools.shutdown()
        try await server.stop()
    }

    @Test func enforcesTheBodyCap() async throws {
        let server = try await TestHTTPServer.start()
        let group = MultiThreadedEventLoopGroup.singleton
        let pools = UpstreamPools(group: group)
        let client = UpstreamHTTPClient(pools: pools, group: group)

        // Announced by Content-Length.
        await #expect(throws: UpstreamError.responseTooLarge(limit: 100)) {
            try await client.send(get(server.origin(), "/big?bytes=101"), maxBodyBytes: 100)
        }
        // Chunked: found while collecting.
        await #expect(throws: UpstreamError.responseTooLarge(limit: 20)) {
            try await client.send(get(server.origin(), "/stream?n=5"), maxBodyBytes: 20)
        }
        // Exactly at the cap is fine.
        let atCap = try await client.send(get(server.origin(), "/big?bytes=100"), maxBodyBytes: 100)
        #expect(atCap.body.readableBytes == 100)

        await pools.shutdown()
        try await server.stop()
    }

    @Test func reportsTransportErrors() async throws {
        let server = try await TestHTTPServer.start()
        let group = MultiThreadedEventLoopGroup.singleton
        let pools = UpstreamPools(group: group)
        let client = UpstreamHTTPClient(pools: pools, group: group)
        await #expect(throws: UpstreamError.responseHeadTimeout) {
            try await client.send(get(server.origin(), "/hang", timeouts: .init(responseHead: .milliseconds(100))))
        }
        await pools.shutdown()
        try await server.stop()
    }

    @Test func taskCancellationCancelsTheExchange() async throws {
        let server = try await TestHTTPServer.start()
        let group = MultiThreadedEventLoopGroup.singleton
        let pools = UpstreamPools(group: group)
        let client = UpstreamHTTPClient(pools: pools, group: group)
        let origin = server.origin()
        let task = Task { () throws(UpstreamError) -> UpstreamResponse in
            try await client.send(get(origin, "/hang"))
        }
        await server.waitUntil { $0.handled.count == 1 }
        task.cancel()
        let result = await task.result
        #expect(throws: UpstreamError.cancelled) { try result.get() }
        await server.waitUntil { $0.closedConnections == 1 }
        await pools.shutdown()
        try await server.stop()
    }
}
