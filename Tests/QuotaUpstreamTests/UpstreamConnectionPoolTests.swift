import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

@testable import QuotaUpstream

@Suite("Upstream connection pool", .timeLimit(.minutes(1)))
struct UpstreamConnectionPoolTests {
    // MARK: - Round trips

    @Test func getRoundTrip() async throws {
        let server = try await TestHTTPServer.start()
        let harness = Harness()
        let events = try await harness.run(get(server.origin(), "/fixed"))
        #expect(status(of: events) == 200)
        #expect(body(of: events) == "hello world")
        let request = try #require(server.snapshot.handled.first)
        #expect(request.method == .GET)
        #expect(request.headers["host"] == ["127.0.0.1:\(server.port)"])
        #expect(!request.headers.contains(name: "content-length"))
        #expect(!request.headers.contains(name: "transfer-encoding"))
        await harness.shutdown()
        try await server.stop()
    }

    @Test func postForwardsBodyByteExactWithHostAndContentLength() async throws {
        let server = try await TestHTTPServer.start()
        let harness = Harness()
        // Large enough to span several TCP segments and socket reads.
        let text = String((0..<70_000).map { Character(UnicodeScalar(UInt8(0x21 + $0 % 90))) })
        let payload = ByteBuffer(string: text)
        let request = UpstreamRequest(
            origin: server.origin(),
            method: .POST,
            path: "/echo",
            headers: [
                "Host": "client-facing.example", "Content-Length": "1", "Transfer-Encoding": "chunked",
                "Connection": "close", "x-api-key": "sk-secret",
            ],
            body: payload
        )
        let events = try await harness.run(request)
        #expect(status(of: events) == 200)
        #expect(body(of: events) == text)
        let seen = try #require(server.snapshot.handled.first)
        #expect(seen.method == .POST)
        #expect(seen.body == payload)
        #expect(seen.headers["host"] == ["127.0.0.1:\(server.port)"])
        #expect(seen.headers["content-length"] == ["70000"])
        #expect(!seen.headers.contains(name: "transfer-encoding"))
        #expect(!seen.headers.contains(name: "connection"))
        #expect(seen.headers["x-api-key"] == ["sk-secret"])
        // The client's "Connection: close" was not forwarded, so the connection is kept.
        #expect(try await harness.counts() == (idle: 1, open: 1))
        await harness.shutdown()
        try await server.stop()
    }

    // MARK: - Keep-alive

    @Test func sequentialRequestsReuseOneConnection() async throws {
        let server = try await TestHTTPServer.start()
        let harness = Harness()
        for _ in 0..<5 {
            let events = try await harness.run(get(server.origin(), "/fixed"))
            #expect(body(of: events) == "hello world")
        }
        #expect(server.snapshot.acceptedConnections == 1)
        #expect(server.snapshot.handled.count == 5)
        let counts = try await harness.counts()
        #expect(counts.idle == 1)
        #expect(counts.open == 1)
        await harness.shutdown()
        try await server.stop()
    }

    @Test func concurrentRequestsOpenSeveralConnectionsThatAreReusedAfterwards() async throws {
        let server = try await TestHTTPServer.start()
        let harness = Harness()
        let calls = [
            try await harness.start(get(server.origin(), "/gated?gate=c")),
            try await harness.start(get(server.origin(), "/gated?gate=c")),
            try await harness.start(get(server.origin(), "/gated?gate=c")),
        ]
        await server.waitUntil { $0.handled.count == 3 }
        #expect(server.snapshot.acceptedConnections == 3)
        server.openGate("c")
        for call in calls {
            #expect(body(of: await call.collectToEnd()) == "firstsecond")
        }
        #expect(try await harness.counts() == (idle: 3, open: 3))

        let again = [
            try await harness.start(get(server.origin(), "/fixed")),
            try await harness.start(get(server.origin(), "/fixed")),
            try await harness.start(get(server.origin(), "/fixed")),
        ]
        for call in again {
            #expect(body(of: await call.collectToEnd()) == "hello world")
        }
        #expect(server.snapshot.acceptedConnections == 3)
        #expect(try await harness.counts() == (idle: 3, open: 3))
        await harness.shutdown()
        try await server.stop()
    }

    @Test func idleConnectionsAreReusedLastInFirstOut() async throws {
        let server = try await TestHTTPServer.start()
        let harness = Harness()
        let first = try await harness.start(get(server.origin(), "/gated?gate=one"))
        let second = try await harness.start(get(server.origin(), "/gated?gate=two"))
        await server.waitUntil { $0.handled.count == 2 }
        server.openGate("one")
        #expect(body(of: await first.collectToEnd()) == "firstsecond")
        server.openGate("two")
        #expect(body(of: await second.collectToEnd()) == "firstsecond")
        let lastReturned = try #require(server.snapshot.handled.first { $0.uri == "/gated?gate=two" }).connection

        #expect(body(of: try await harness.run(get(server.origin(), "/fixed"))) == "hello world")
        #expect(server.snapshot.handled.last?.connection == lastReturned)
        await harness.shutdown()
        try await server.stop()
    }

    @Test func connectionCloseAnswerIsNotReused() async throws {
        let server = try await TestHTTPServer.start()
        let harness = Harness()
        let events = try await harness.run(get(server.origin(), "/close"))
        #expect(body(of: events) == "close")
        #expect(try await harness.counts() == (idle: 0, open: 0))
        #expect(body(of: try await harness.run(get(server.origin(), "/fixed"))) == "hello world")
        #expect(server.snapshot.acceptedConnections == 2)
        await harness.shutdown()
        try await server.stop()
    }

    @Test func serverClosingAnIdleConnectionIsHandled() async throws {
        let server = try await TestHTTPServer.start()
        let harness = Harness()
        #expect(body(of: try await harness.run(get(server.origin(), "/close-after-response"))) == "bye")
        // Whether or not the pool has noticed the close yet, the next request succeeds, once.
        #expect(body(of: try await harness.run(get(server.origin(), "/fixed"))) == "hello world")
        #expect(server.snapshot.handledCount(uri: "/fixed") == 1)
        #expect(server.snapshot.acceptedConnections == 2)
        await harness.shutdown()
        try await server.stop()
    }

    @Test func requestOnAConnectionTheServerClosedIsRetriedOnceOnAFreshConnection() async throws {
        let server = try await TestHTTPServer.start()
        let harness = Harness()
        #expect(body(of: try await harness.run(get(server.origin(), "/fixed"))) == "hello world")
        server.setDropNextRequestOnUsedConnection()
        let events = try await harness.run(get(server.origin(), "/fixed?second"))
        #expect(events.map(\.description) == ["head(200)", "part(hello world)", "finish"])
        let state = server.snapshot
        #expect(state.dropped == 1)
        #expect(state.handledCount(uri: "/fixed?second") == 1)
        #expect(state.acceptedConnections == 2)
        await harness.shutdown()
        try await server.stop()
    }

    @Test func retryHappensAtMostOnce() async throws {
        let server = try await TestHTTPServer.start()
        let harness = Harness()
        #expect(body(of: try await harness.run(get(server.origin(), "/fixed"))) == "hello world")
        // Closed without an answer on the reused connection, and again on the fresh one.
        let events = try await harness.run(get(server.origin(), "/reset-before-head"))
        #expect(events == [.fail(.connectionReset(beforeResponseHead: true))])
        #expect(server.snapshot.handledCount(uri: "/reset-before-head") == 2)
        #expect(server.snapshot.acceptedConnections == 2)
        await harness.shutdown()
        try await server.stop()
    }

    @Test func noRetryAfterResponseBytesArrived() async throws {
        let server = try await TestHTTPServer.start()
        let harness = Harness()
        #expect(body(of: try await harness.run(get(server.origin(), "/fixed"))) == "hello world")
        let events = try await harness.run(get(server.origin(), "/reset-mid-body"))
        #expect(status(of: events) == 200)
        #expect(events.last == .fail(.connectionReset(beforeResponseHead: false)))
        #expect(server.snapshot.handledCount(uri: "/reset-mid-body") == 1)
        await harness.shutdown()
        try await server.stop()
    }

    @Test func idleConnectionsExpire() async throws {
        let server = try await TestHTTPServer.start()
        let harness = Harness(configuration: .init(idleConnectionTimeout: .milliseconds(100)))
        #expect(body(of: try await harness.run(get(server.origin(), "/fixed"))) == "hello world")
        await server.waitUntil { $0.closedConnections == 1 }
        #expect(try await harness.counts() == (idle: 0, open: 0))
        await harness.shutdown()
        try await server.stop()
    }

    @Test func poolExhaustedBeyondTheLimit() async throws {
        let server = try await TestHTTPServer.start()
        let harness = Harness(configuration: .init(maxConnectionsPerOrigin: 1))
        let first = try await harness.start(get(server.origin(), "/gated?gate=x"))
        let second = try await harness.start(get(server.origin(), "/fixed"))
        #expect(await second.collectToEnd() == [.fail(.poolExhausted(origin: server.origin(), limit: 1))])
        server.openGate("x")
        #expect(body(of: await first.collectToEnd()) == "firstsecond")
        await harness.shutdown()
        try await server.stop()
    }

    // MARK: - Framing and streaming

    @Test func streamingDeliversTheFirstPartBeforeTheServerSendsTheLast() async throws {
        let server = try await TestHTTPServer.start()
        let harness = Harness()
        let call = try await harness.start(get(server.origin(), "/gated?gate=s"))
        #expect(await call.next()?.description == "head(200)")
        // The server is now waiting for the gate: "second" has not been sent.
        #expect(await call.next() == .part("first"))
        server.openGate("s")
        #expect(await call.collectToEnd() == [.part("second"), .finish])
        await harness.shutdown()
        try await server.stop()
    }

    @Test func chunkedStreamWithDelays() async throws {
        let server = try await TestHTTPServer.start()
        let harness = Harness()
        let events = try await harness.run(get(server.origin(), "/stream?n=5&delayMs=5"))
        #expect(body(of: events) == "part-0;part-1;part-2;part-3;part-4;")
        #expect(events.filter { if case .part = $0 { true } else { false } }.count >= 5)
        #expect(try await harness.counts() == (idle: 1, open: 1))
        await harness.shutdown()
        try await server.stop()
    }

    @Test func bodyDelimitedByConnectionClose() async throws {
        let server = try await TestHTTPServer.start()
        let harness = Harness()
        let events = try await harness.run(get(server.origin(), "/eof-body"))
        #expect(body(of: events) == "until-close")
        #expect(try await harness.counts() == (idle: 0, open: 0))
        await harness.shutdown()
        try await server.stop()
    }

    @Test func headAnd204And304HaveNoBodyAndKeepTheConnection() async throws {
        let server = try await TestHTTPServer.start()
        let harness = Harness()
        let head = try await harness.run(UpstreamRequest(origin: server.origin(), method: .HEAD, path: "/fixed"))
        #expect(head.map(\.description) == ["head(200)", "finish"])
        for code in [204, 304] {
            let events = try await harness.run(get(server.origin(), "/status/\(code)"))
            #expect(events.map(\.description) == ["head(\(code))", "finish"])
        }
        #expect(body(of: try await harness.run(get(server.origin(), "/fixed"))) == "hello world")
        #expect(server.snapshot.acceptedConnections == 1)
        await harness.shutdown()
        try await server.stop()
    }

    // MARK: - Failures

    @Test func resetBeforeHead() async throws {
        let server = try await TestHTTPServer.start()
        let harness = Harness()
        for path in ["/reset-before-head", "/reset-before-head?rst=1"] {
            let events = try await harness.run(get(server.origin(), path))
            #expect(events == [.fail(.connectionReset(beforeResponseHead: true))], "\(path)")
            if case .fail(let error) = events.last {
                #expect(error.happenedBeforeResponseHead)
            }
        }
        #expect(try await harness.counts() == (idle: 0, open: 0))
        await harness.shutdown()
        try await server.stop()
    }

    @Test func resetMidBodyFailsAfterTheHead() async throws {
        let server = try await TestHTTPServer.start()
        let harness = Harness()
        let events = try await harness.run(get(server.origin(), "/reset-mid-body"))
        #expect(events.first?.description == "head(200)")
        #expect(events.last == .fail(.connectionReset(beforeResponseHead: false)))
        if case .fail(let error) = events.last {
            #expect(!error.happenedBeforeResponseHead)
        }
        await harness.shutdown()
        try await server.stop()
    }

    @Test func invalidRequestHeaderIsRejectedWithoutLeakingItsValue() async throws {
        let server = try await TestHTTPServer.start()
        let harness = Harness()
        let request = UpstreamRequest(
            origin: server.origin(),
            method: .GET,
            path: "/fixed",
            headers: ["authorization": "Bearer sk-secret\r\nx-injected: 1"]
        )
        let events = try await harness.run(request)
        guard case .fail(let error) = events.first, case .invalidRequest = error else {
            Issue.record("expected invalidRequest, got \(events)")
            return
        }
        #expect(events.count == 1)
        #expect(error.happenedBeforeResponseHead)
        #expect(!error.description.contains("sk-secret"))
        #expect(server.snapshot.handled.isEmpty)
        #expect(try await harness.counts() == (idle: 0, open: 0))
        // The pool still works.
        #expect(body(of: try await harness.run(get(server.origin(), "/fixed"))) == "hello world")
        await harness.shutdown()
        try await server.stop()
    }

    @Test func connectRefused() async throws {
        let server = try await TestHTTPServer.start()
        let origin = server.origin()
        try await server.stop()
        let harness = Harness()
        let events = try await harness.run(get(origin, "/fixed"))
        guard case .fail(.connectFailed(let failedOrigin, let underlying)) = events.first else {
            Issue.record("expected connectFailed, got \(events)")
            return
        }
        #expect(failedOrigin == origin)
        // One plain sentence for operators, not NIO's wording (issue 15).
        #expect(underlying == "connection refused")
        let message = UpstreamError.connectFailed(origin: origin, underlying: underlying).description
        #expect(message.hasPrefix("could not connect to upstream http://127.0.0.1:"))
        #expect(!message.contains("NIOConnectionError") && !message.contains("errno"))
        #expect(events.count == 1)
        #expect(try await harness.counts() == (idle: 0, open: 0))
        await harness.shutdown()
    }

    @Test func responseHeadTimeout() async throws {
        let server = try await TestHTTPServer.start()
        let harness = Harness()
        let events = try await harness.run(
            get(server.origin(), "/hang", timeouts: .init(responseHead: .milliseconds(150)))
        )
        #expect(events == [.fail(.responseHeadTimeout)])
        await server.waitUntil { $0.closedConnections == 1 }
        #expect(try await harness.counts() == (idle: 0, open: 0))
        await harness.shutdown()
        try await server.stop()
    }

    @Test func idleTimeoutBetweenBodyParts() async throws {
        let server = try await TestHTTPServer.start()
        let harness = Harness()
        let events = try await harness.run(
            get(server.origin(), "/stall-after-head", timeouts: .init(idle: .milliseconds(150)))
        )
        #expect(events.map(\.description) == ["head(200)", "part(only)", "fail(\(UpstreamError.idleTimeout))"])
        await harness.shutdown()
        try await server.stop()
    }

    // MARK: - Backpressure, cancel, shutdown

    @Test func pauseReadingStopsDeliveryUntilResume() async throws {
        let server = try await TestHTTPServer.start()
        let harness = Harness()
        // The delegate pauses inside the head callback. The head and the chunk "a" arrive in one
        // write, so "a" is decoded in the same socket read as the head: it must be held back.
        let call = try await harness.start(get(server.origin(), "/pause-gated?gate=p"), pauseOnHead: true)
        #expect(await call.next()?.description == "head(200)")
        let exchange = call.exchange
        let delegate = call.delegate
        let suppressed = try await harness.onLoop { _ in exchange.value.connection?.isReadSuppressed ?? false }
        #expect(suppressed, "the connection must stop issuing read() while paused")
        #expect(try await harness.onLoop { _ in delegate.value.partsDelivered } == 0)

        // More data reaches the client's socket while paused; none of it may be delivered.
        server.openGate("p")
        await server.waitUntil { $0.gateSends == 1 }
        _ = try await harness.onLoop { _ in 0 }  // a full loop turn
        #expect(try await harness.onLoop { _ in delegate.value.partsDelivered } == 0)
        #expect(try await harness.onLoop { _ in exchange.value.isPaused })

        // The read that paused still ends with a read-complete: a relay flushes what it wrote
        // before pausing there (else its client never drains and the exchange never resumes).
        #expect(try await harness.onLoop { _ in delegate.value.readCompletesWhilePaused } >= 1)

        try await harness.onLoop { _ in exchange.value.resumeReading() }
        let rest = await call.collectToEnd()
        #expect(rest == [.part("a"), .part("b"), .part("c"), .finish])
        #expect(try await harness.counts() == (idle: 1, open: 1))
        await harness.shutdown()
        try await server.stop()
    }

    @Test func anAnswerEndingWhilePausedStillGetsItsFlushPointAndFinishesOnResume() async throws {
        let server = try await TestHTTPServer.start()
        let harness = Harness()
        // Head, body and end arrive in one read; the delegate pauses at the head. The connection
        // lets go of the exchange at the end (back to the pool), so the flush point must come
        // from the exchange itself.
        let call = try await harness.start(get(server.origin(), "/fixed"), pauseOnHead: true)
        #expect(await call.next()?.description == "head(200)")
        let exchange = call.exchange
        let delegate = call.delegate
        #expect(try await harness.onLoop { _ in delegate.value.readCompletesWhilePaused } >= 1)
        #expect(try await harness.onLoop { _ in delegate.value.partsDelivered } == 0)
        #expect(try await harness.counts() == (idle: 1, open: 1), "the connection is back in the pool while paused")
        try await harness.onLoop { _ in exchange.value.resumeReading() }
        #expect(await call.collectToEnd() == [.part("hello world"), .finish])
        await harness.shutdown()
        try await server.stop()
    }

    @Test func cancelClosesTheConnectionAndSilencesTheDelegate() async throws {
        let server = try await TestHTTPServer.start()
        let harness = Harness()
        let call = try await harness.start(get(server.origin(), "/gated?gate=k"))
        #expect(await call.next()?.description == "head(200)")
        #expect(await call.next() == .part("first"))
        let exchange = call.exchange
        try await harness.onLoop { _ in exchange.value.cancel() }
        await server.waitUntil { $0.closedConnections == 1 }
        server.openGate("k")
        #expect(try await harness.counts() == (idle: 0, open: 0))
        _ = try await harness.onLoop { _ in 0 }
        #expect(await call.remainingAfterClosingStream() == [])
        await harness.shutdown()
        try await server.stop()
    }

    @Test func shutdownFailsExchangesInFlight() async throws {
        let server = try await TestHTTPServer.start()
        let harness = Harness()
        let call = try await harness.start(get(server.origin(), "/hang"))
        await server.waitUntil { $0.handled.count == 1 }
        await harness.shutdown()
        #expect(await call.collectToEnd() == [.fail(.shutdown)])
        #expect(try await harness.counts() == (idle: 0, open: 0))
        await server.waitUntil { $0.closedConnections == 1 }

        let after = try await harness.run(get(server.origin(), "/fixed"))
        #expect(after == [.fail(.shutdown)])
        try await server.stop()
    }
}
