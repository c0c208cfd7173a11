import AsyncHTTPClient
import Foundation
import Glibc
import NIOCore
import NIOHTTP1
import QuotaControl
import QuotaCore
import QuotaState
import QuotaTestSupport
import Testing
import UpstreamSimulator

/// The request path under load and abuse: answers of every size relayed byte for byte with
/// backpressure both ways, slow and stalled readers, hostile or broken client input, connection
/// and descriptor limits, and hung upstreams.
@Suite("Request path: large answers, slow clients, hostile input, hung upstreams")
struct RequestPathTests {
    static let path = "/v1/chat/completions"
    static let chatBody = #"{"model":"bulk-model","messages":[{"role":"user","content":"hi"}]}"#

    /// A proxy whose one account is a ``BulkUpstream``.
    static func bulkEnvironment(config: [String: QuotaCore.JSONValue] = [:]) async throws -> (ProxyEnvironment, BulkUpstream) {
        let bulk = try await BulkUpstream.start()
        let env = try await ProxyEnvironment.start(keys: [], config: config) { _ in
            [.simulated("bulk", key: "sk-bulk-00000000001", baseURL: bulk.url)]
        }
        return (env, bulk)
    }

    /// Fetches `url` whole (POST with the chat body and the client key when `viaProxy`).
    static func fetch(_ url: String, viaProxy: Bool) async throws -> (status: Int, headers: HTTPHeaders, body: ByteBuffer) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        if viaProxy {
            request.headers.add(name: "authorization", value: "Bearer \(ProxyEnvironment.clientKey)")
        }
        request.headers.add(name: "content-type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: chatBody))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: BulkUpstream.maximumSize + 1)
        return (Int(response.status.code), response.headers, body)
    }

    /// A raw HTTP/1.1 request for the chat route with the client key.
    static func rawRequest(query: String, connection: String = "close", body: String = chatBody, route: String = path) -> String {
        "POST \(route)?\(query) HTTP/1.1\r\nHost: proxy\r\nAuthorization: Bearer \(ProxyEnvironment.clientKey)\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: \(connection)\r\n\r\n\(body)"
    }

    /// Sends `bytes` on a new connection and reads until the proxy closes it (or `timeout`).
    static func exchange(port: Int, bytes: [UInt8], timeoutMilliseconds: Int = 5000) async throws -> RawTCPClient.Outcome {
        try await RawTCPClient.onThread {
            let connection = try RawTCPClient.Connection(port: port, receiveTimeoutMilliseconds: timeoutMilliseconds)
            try? connection.send(bytes)  // the proxy may close before everything is sent
            return connection.receiveUntilClosed()
        }
    }

    static func text(_ outcome: RawTCPClient.Outcome) -> String {
        String(decoding: outcome.received, as: UTF8.self)
    }

    /// The body of a raw HTTP/1.1 answer: after the head, with chunked framing undone when the
    /// head says so; `nil` when the framing is broken. (Index loops: generic searches are slow
    /// in a debug build, and streams have thousands of chunks.)
    static func body(ofAnswer bytes: [UInt8]) -> [UInt8]? {
        bytes.withUnsafeBufferPointer { b -> [UInt8]? in
            var index = 0
            while index + 3 < b.count && !(b[index] == 13 && b[index + 1] == 10 && b[index + 2] == 13 && b[index + 3] == 10) {
                index += 1
            }
            guard index + 3 < b.count else { return nil }
            let head = String(decoding: UnsafeBufferPointer(rebasing: b[0..<index]), as: UTF8.self).lowercased()
            index += 4
            guard head.contains("transfer-encoding: chunked") else { return Array(b[index...]) }
            var body: [UInt8] = []
            body.reserveCapacity(b.count - index)
            while true {
                var size = 0
                var digits = 0
                while index < b.count, let digit = Int(String(UnicodeScalar(b[index])), radix: 16) {
                    size = size * 16 + digit
                    digits += 1
                    index += 1
                }
                guard digits > 0, index + 1 < b.count, b[index] == 13, b[index + 1] == 10 else { return nil }
                index += 2
                if size == 0 { return body }
                guard index + size + 2 <= b.count else { return nil }
                body.append(contentsOf: UnsafeBufferPointer(rebasing: b[index..<(index + size)]))
                index += size + 2
            }
        }
    }

    // MARK: - Large answers

    @Test func answersOfEverySizeAndFastStreamsArriveByteForByte() async throws {
        let (env, bulk) = try await Self.bulkEnvironment()
        for size in [0, 1, 65_535, 65_536, 200_000, 1 << 20, 16 << 20] {
            for framing in ["length", "chunked"] {
                let query = "?size=\(size)&framing=\(framing)"
                let direct = try await Self.fetch(bulk.url + Self.path + query, viaProxy: false)
                #expect(direct.body == BulkUpstream.body(size: size), "the upstream itself")
                let proxied = try await Self.fetch(env.proxyURL + Self.path + query, viaProxy: true)
                #expect(proxied.status == 200)
                #expect(
                    proxied.body == direct.body,
                    "\(size) bytes (\(framing)): \(proxied.body.readableBytes) bytes arrived through the proxy")
                if framing == "length" {
                    #expect(proxied.headers["content-length"] == [String(size)])
                }
            }
        }
        // 10,000 events written back to back, one write and flush each (read raw: a client
        // library would spend seconds per 10,000 chunks in a debug build).
        let stream = Array(buffer: BulkUpstream.stream(events: 10_000))
        let directStream = try await Self.exchange(port: bulk.port, bytes: Array(Self.rawRequest(query: "events=10000").utf8))
        #expect(Self.body(ofAnswer: directStream.received) == stream, "the upstream itself")
        let proxiedStream = try await Self.exchange(port: env.proxyPort, bytes: Array(Self.rawRequest(query: "events=10000").utf8))
        #expect(Self.text(proxiedStream).lowercased().contains("content-type: text/event-stream"))
        let relayed = Self.body(ofAnswer: proxiedStream.received)
        #expect(relayed == stream, "\(relayed?.count ?? -1) of \(stream.count) stream bytes arrived")

        // A slow reader (64 KiB receive buffer, a pause after every read) gets a 4 MiB chunked
        // answer whole: more than the kernel buffers hold, so the relay pauses and resumes.
        let slowSize = 4 << 20
        let slow = try await RawTCPClient.onThread { () throws -> [UInt8] in
            let connection = try RawTCPClient.Connection(port: env.proxyPort, receiveTimeoutMilliseconds: 10_000, receiveBufferBytes: 65536)
            try connection.send(Self.rawRequest(query: "size=\(slowSize)&framing=chunked"))
            var received: [UInt8] = []
            received.reserveCapacity(slowSize + 65536)
            while let piece = connection.receive(maximum: 65536), !piece.isEmpty {
                received += piece
                usleep(1000)
            }
            return received
        }
        #expect(
            Self.body(ofAnswer: slow).map { ByteBuffer(bytes: $0) } == BulkUpstream.body(size: slowSize),
            "the slow reader got \(slow.count) bytes")

        // A reader that stops reading a 24 MiB answer: the proxy stops reading the upstream
        // instead of buffering the answer, then relays the rest once the reader resumes.
        let size = 24 << 20
        let before = env.residentBytes()
        let connection = try await RawTCPClient.Connection.open(port: env.proxyPort, receiveTimeoutMilliseconds: 10_000, receiveBufferBytes: 16384)
        try connection.send(Self.rawRequest(query: "size=\(size)&framing=length"))
        let start = try await RawTCPClient.onThread { connection.receive(maximum: 16384) ?? [] }
        try #require(!start.isEmpty)
        var peak = 0
        for _ in 0..<8 {
            try await Task.sleep(for: .milliseconds(100))
            peak = max(peak, env.residentBytes())
        }
        #expect(peak - before < 16 << 20, "the proxy grew by \((peak - before) >> 20) MiB while the reader paused")
        let answer = try await RawTCPClient.onThread { () -> [UInt8] in
            var bytes = start
            bytes.reserveCapacity(size + 4096)
            while let piece = connection.receive(), !piece.isEmpty { bytes += piece }
            return bytes
        }
        let body = try #require(Self.body(ofAnswer: answer))
        #expect(body.count == size)
        #expect(ByteBuffer(bytes: body) == BulkUpstream.body(size: size), "the paused reader's answer arrived byte for byte")
        #expect(try await env.send(.GET, "/healthz").status == 200)
        await env.stop()
        await bulk.stop()
    }

    // MARK: - Hostile and broken clients

    @Test func brokenOrSlowRequestsAreAnsweredAndClosedPromptly() async throws {
        let (env, _) = try await Self.bulkEnvironment(config: ["listen": ["header_timeout_seconds": 1, "idle_timeout_seconds": 1]])
        let port = env.proxyPort
        func first(_ outcome: RawTCPClient.Outcome) -> String {
            Self.text(outcome).components(separatedBy: "\r\n").first ?? ""
        }

        // Refused on the first read, not when a blank line that never comes would end the head.
        let clientHello: [UInt8] =
            [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03] + (0..<64).map { _ in UInt8.random(in: 0...255) }
        for bytes in [clientHello, Array("GET /\r\n".utf8), Array("GET /healthz HTTP/1.1\r\nAccept: */*\r\n\r\n".utf8)] {
            let outcome = try await Self.exchange(port: port, bytes: bytes)
            #expect(first(outcome) == "HTTP/1.1 400 Bad Request", "\(bytes.prefix(16))")
            #expect(outcome.closed)
        }
        // A 100 KiB head in one write.
        let bigHead =
            "GET /healthz HTTP/1.1\r\nHost: p\r\n"
            + String(repeating: "X-Filler: 0123456789012345678901234567890123456789\r\n", count: 2000)
            + "\r\n"
        let big = try await Self.exchange(port: port, bytes: Array(bigHead.utf8))
        #expect(first(big) == "HTTP/1.1 431 Request Header Fields Too Large")
        #expect(big.closed)

        // A declared length over the limit: 413 before the body is sent, no 100 Continue.
        for expect in ["", "Expect: 100-continue\r\n"] {
            let head =
                "POST /v1/chat/completions HTTP/1.1\r\nHost: p\r\nAuthorization: Bearer \(ProxyEnvironment.clientKey)\r\n"
                + "Content-Length: \(40 << 20)\r\n\(expect)\r\n"
            let outcome = try await Self.exchange(port: port, bytes: Array(head.utf8))
            #expect(first(outcome) == "HTTP/1.1 413 Payload Too Large", "\(expect)\(Self.text(outcome))")
            #expect(!Self.text(outcome).contains("100 Continue"))
            #expect(outcome.closed)
        }

        // A head trickling in a byte at a time gets 408 once header_timeout_seconds have passed.
        let started = ContinuousClock.now
        let trickled = try await RawTCPClient.onThread { () throws -> RawTCPClient.Outcome in
            let connection = try RawTCPClient.Connection(port: port, receiveTimeoutMilliseconds: 100)
            try connection.send("GET /healthz HTTP/1.1\r\nHost: p\r\nX-Slow: ")
            while ContinuousClock.now - started < .seconds(10) {
                try? connection.send("a")
                if let piece = connection.receive(), !piece.isEmpty {
                    let rest = connection.receiveUntilClosed()
                    return RawTCPClient.Outcome(received: piece + rest.received, closed: rest.closed)
                } else if connection.lastError != EAGAIN {
                    return RawTCPClient.Outcome(received: [], closed: true)
                }
            }
            return RawTCPClient.Outcome(received: [], closed: false)
        }
        #expect(first(trickled) == "HTTP/1.1 408 Request Timeout", "\(Self.text(trickled))")
        #expect(trickled.closed)

        // A model name over 256 bytes is refused in the route's error dialect, and never becomes
        // a metrics label or a log field.
        let hugeModel = String(repeating: "m", count: 4 << 20)
        let openAI = try await env.send(Self.path, body: #"{"model":"\#(hugeModel)","messages":[]}"#)
        #expect(openAI.status == 400)
        #expect(openAI.json?["error"]?["message"]?.stringValue?.contains("256 bytes") == true, "\(openAI.body.prefix(300))")
        let anthropic = try await env.send("/v1/messages", body: #"{"model":"\#(hugeModel)","max_tokens":1,"messages":[]}"#)
        #expect(anthropic.status == 400)
        #expect(anthropic.json?["type"]?.stringValue == "error")
        #expect(anthropic.json?["error"]?["message"]?.stringValue?.contains("256 bytes") == true)
        let metrics = try await env.send(.GET, "/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.body.utf8.count < 256 << 10, "the metrics page is \(metrics.body.utf8.count) bytes")
        #expect(!metrics.body.contains("mmmmmmmm"))

        // A client that stops reading its answer is disconnected after idle_timeout_seconds;
        // what the proxy had sent can still be read, then the connection ends.
        let stalled = try await RawTCPClient.Connection.open(port: port, receiveTimeoutMilliseconds: 5000, receiveBufferBytes: 16384)
        try stalled.send(Self.rawRequest(query: "size=\(32 << 20)&framing=length", connection: "keep-alive"))
        // Wait for the proxy to drop it (the client connections of the steps above close after
        // the 1 s idle timeout too), without reading: reading would be progress.
        #expect(
            await env.eventually {
                (try? await env.control.send("status"))?["details"]?["connections"]?.intValue == 0
            })
        let drained = try await RawTCPClient.onThread { stalled.receiveUntilClosed() }
        #expect(drained.closed, "the proxy kept a connection whose client read nothing")
        #expect(drained.received.count < 32 << 20)

        #expect(try await env.send(.GET, "/healthz").status == 200)
        await env.stop()
    }

    /// Hundreds of malformed requests: random bytes, truncated heads, mutated requests, huge
    /// fields. Each gets a 4xx or is closed without an answer, and the proxy keeps serving.
    @Test func fuzzedRequestsGetA4xxOrACloseAndTheProxyStaysHealthy() async throws {
        let config: [String: QuotaCore.JSONValue] = ["listen": ["header_timeout_seconds": 1, "idle_timeout_seconds": 1]]
        let env = try await ProxyEnvironment.start(keys: [], config: config) { url in
            [.simulated("acc", key: "sk-fuzz-000000000001", baseURL: url)]
        }
        var generator = SeededRandom(seed: 0xF022)
        // No client key: a mutation that still parses is refused (401) rather than proxied.
        let valid = Array(
            "POST /v1/chat/completions HTTP/1.1\r\nHost: proxy\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"model\":\"m\"}\r\n"
                .utf8)
        let headLength = valid.firstRange(of: Array("\r\n\r\n".utf8))!.upperBound
        let fixed: [[UInt8]] = [
            Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8),
            Array("GET /\(String(repeating: "a", count: 90_000)) HTTP/1.1\r\nHost: p\r\n\r\n".utf8),
            Array("GET / HTTP/1.1\r\nHost: p\r\nX-Big: \(String(repeating: "v", count: 90_000))\r\n\r\n".utf8),
            Array("GET / HTTP/1.1\r\nHost: p\r\n\(String(repeating: "X-Many: 1\r\n", count: 9000))\r\n".utf8),
            Array("POST / HTTP/1.1\r\nHost: p\r\nContent-Length: 999999999999999\r\n\r\n".utf8),
            Array("POST / HTTP/1.1\r\nHost: p\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".utf8),
            Array("POST / HTTP/1.1\r\nHost: p\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n".utf8),
            Array("GET / HTTP/1.1\r\nHost: p\r\nHost: q\r\n\r\n".utf8),
            Array("GET / HTTP/1.1\r\nHost: p\r\n Folded: x\r\n\r\n".utf8),
            Array("\r\n\r\n\r\n".utf8) + [0],
        ]
        var cases = fixed
        for index in 0..<240 {
            switch index % 3 {
            case 0:
                cases.append((0..<Int.random(in: 1...400, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) })
            case 1:
                cases.append(Array(valid[0..<Int.random(in: 1..<headLength, using: &generator)]))
            default:
                var bytes = valid
                for _ in 0..<Int.random(in: 1...3, using: &generator) {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                }
                cases.append(bytes)
            }
        }
        let port = env.proxyPort
        let outcomes = try await withThrowingTaskGroup(of: (Int, RawTCPClient.Outcome).self) { group in
            var results: [(Int, RawTCPClient.Outcome)] = []
            for (index, bytes) in cases.enumerated() {
                if index >= 50, let done = try await group.next() { results.append(done) }
                group.addTask { (index, try await Self.exchange(port: port, bytes: bytes, timeoutMilliseconds: 6000)) }
            }
            for try await done in group { results.append(done) }
            return results
        }
        #expect(outcomes.count == cases.count)
        for (index, outcome) in outcomes {
            let answer = Self.text(outcome)
            #expect(outcome.closed, "case \(index) was left open: \(cases[index].prefix(40))")
            #expect(
                outcome.received.isEmpty || answer.hasPrefix("HTTP/1.1 4"),
                "case \(index) got \(answer.prefix(60)) for \(cases[index].prefix(40))")
        }
        let health = try await env.send(.GET, "/healthz")
        #expect(health.status == 200)
        #expect(env.process.process.isRunning)
        await env.stop()
    }

    // MARK: - Connection and descriptor limits

    @Test func connectionsBeyondTheLimitAreClosedAtOnceAndCounted() async throws {
        let env = try await ProxyEnvironment.start(keys: [], config: ["listen": ["max_connections": 20]]) { url in
            [.simulated("acc", key: "sk-limit-00000000001", baseURL: url)]
        }
        let port = env.proxyPort
        // All at once on one thread of their own (blocking connects, off the cooperative pool).
        var held = try await RawTCPClient.onThread { try (0..<20).map { _ in try RawTCPClient.Connection(port: port) } }
        #expect(
            await env.eventually {
                (try? await env.control.send("status"))?["details"]?["connections"]?.intValue == 20
            })
        let refused = try await Self.exchange(port: port, bytes: Array("GET /healthz HTTP/1.1\r\nHost: p\r\n\r\n".utf8))
        #expect(refused.closed && refused.received.isEmpty, "\(Self.text(refused))")
        let status = try await env.control.send("status")
        #expect(status["details"]?["connections_refused"]?.intValue == 1)
        #expect(status["details"]?["max_connections"]?.intValue == 20)

        held.removeAll()
        #expect(
            await env.eventually {
                (try? await env.control.send("status"))?["details"]?["connections"]?.intValue == 0
            })
        let metrics = try await env.send(.GET, "/metrics")
        #expect(metrics.body.contains("quota_proxy_client_connections_refused_total 1"), "\(metrics.body)")
        #expect(metrics.body.contains("quota_proxy_client_connections_limit 20"))

        // The limit follows a reload.
        try Data(#"{"listen":{"host":"127.0.0.1","port":0,"max_connections":2},"client_api_keys":["\#(ProxyEnvironment.clientKey)"]}"#.utf8)
            .write(to: URL(fileURLWithPath: env.configPath))
        env.process.signal(SIGHUP)
        #expect(
            await env.eventually {
                (try? await env.control.send("status"))?["details"]?["max_connections"]?.intValue == 2
            })
        await env.stop()
    }

    /// The soft open-file limit is raised to the hard one at start; a `listen.max_connections`
    /// beyond what that carries is warned about (a flood beyond it: DescriptorReserveTests).
    @Test func theDescriptorLimitIsRaisedAndAnOversizedConnectionLimitIsWarnedAbout() async throws {
        var own = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &own)
        let hard = Int(min(own.rlim_max, 1 << 20))
        try #require(hard > 1024 && hard < 100_000, "needs a hard open-file limit above 1024 and below 100,000")
        let env = try await ProxyEnvironment.start(
            keys: [], config: ["listen": ["max_connections": 100_000]], launcher: ["/usr/bin/prlimit", "--nofile=1024:\(hard)", "--"]
        ) { url in
            [.simulated("acc", key: "sk-fd-0000000000001", baseURL: url)]
        }
        let status = try await env.control.send("status")
        #expect(status["details"]?["open_file_limit"]?.intValue == hard)
        #expect(status["descriptors"]?["limit"]?.intValue == hard)
        #expect(status["details"]?["max_connections"]?.intValue == 100_000, "an explicit limit is kept")
        let log = env.process.standardError
        #expect(log.contains("open-file limit \(hard) (raised from 1024)"), "\(log.suffix(2000))")
        #expect(log.contains("kept in reserve; up to 256 control and 100000 client connections (listen.max_connections)"), "\(log.suffix(2000))")
        #expect(log.contains("listen.max_connections (100000) is more than the open-file limit carries"), "\(log.suffix(2000))")
        await env.stop()
    }

    // MARK: - Hung upstreams

    @Test func aHungUpstreamFailsOverAfterTheHeadTimeoutAndExhaustedAttemptsSayWhenToRetry() async throws {
        let slow = SimulatedKey(key: "sk-slow-00000000001", fault: Fault(mode: .slow, delayMilliseconds: 5000))
        let ok = SimulatedKey(key: "sk-good-00000000001")
        let env = try await ProxyEnvironment.start(
            keys: [slow, ok],
            config: ["routing": ["strategy": "fill-first", "upstream_head_timeout_seconds": 1, "max_attempts": 2]]
        ) { url in
            [.simulated("a-slow", key: slow.key, baseURL: url), .simulated("b-ok", key: ok.key, baseURL: url)]
        }
        // a-slow is first in fill-first order: it times out after 1 s, b-ok answers.
        let started = ContinuousClock.now
        let answer = try await env.chat(model: "gpt-4o-mini")
        let took = ContinuousClock.now - started
        #expect(answer.status == 200, "\(answer.body)")
        #expect(took >= .milliseconds(900), "answered after \(took), before the head timeout")
        let log = StateDirectory(path: env.statePath).requestLog
        var records: [RequestRecord] = []
        #expect(
            await env.eventually {
                records = (try? log.records()) ?? []
                return !records.isEmpty
            })
        #expect(records.first?.attempts.map(\.account) == ["a-slow", "b-ok"])
        #expect(records.first?.attempts.map(\.outcome) == ["timeout", "ok"], "a hung upstream is its own outcome")

        // Both hung: 504 with Retry-After.
        try await env.simulatorState.setFault(Fault(mode: .slow, delayMilliseconds: 5000), forKey: ok.key)
        let timedOut = try await env.chat(model: "gpt-4o-mini")
        #expect(timedOut.status == 504, "\(timedOut.body)")
        #expect(timedOut.headers["retry-after"].first.flatMap(Int.init) != nil)
        #expect(timedOut.json?["error"]?["code"]?.stringValue == "upstream_timeout")

        // Both failing with server errors: 502 with Retry-After.
        try await env.simulatorState.setFault(Fault(mode: .serverError), forKey: slow.key)
        try await env.simulatorState.setFault(Fault(mode: .serverError), forKey: ok.key)
        let failed = try await env.chat(model: "gpt-4o-mini")
        #expect(failed.status == 502, "\(failed.body)")
        #expect(failed.headers["retry-after"].first.flatMap(Int.init) != nil)
        await env.stop()
    }
}

/// SplitMix64: fuzzed cases repeat from run to run.
struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
