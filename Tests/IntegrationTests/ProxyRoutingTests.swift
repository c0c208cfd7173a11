import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import QuotaControl
import QuotaCore
import QuotaState
import QuotaTestSupport
import Testing
import UpstreamSimulator


/// The proxy as a client sees it, against the upstream simulator over real HTTP.
@Suite("Proxy routing and failover", .serialized)
struct ProxyRoutingTests {
    static func key(_ name: String, models: [String: SimQuota] = [:], fault: Fault? = nil) -> SimulatedKey {
        SimulatedKey(key: name, models: models, fault: fault)
    }

    @Test func plainCompletionIsForwardedWithTheAccountsCredential() async throws {
        let env = try await ProxyEnvironment.start(keys: [Self.key("sk-upstream-a-0001")]) { url in
            [.simulated("acc-a", key: "sk-upstream-a-0001", baseURL: url)]
        }
        let body = #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello"}],"temperature":0.2}"#
        let answer = try await env.send("/v1/chat/completions", body: body)
        #expect(answer.status == 200)
        #expect(answer.json?["object"] == "chat.completion")
        let stats = try await env.simulatorState.stats(forKey: "sk-upstream-a-0001")
        #expect(stats.requests == 1)
        #expect(stats.lastRequest?.body == body, "the body is forwarded byte for byte")
        #expect(stats.lastRequest?.headers["authorization"] == "Bearer sk-upstream-a-0001")
        await env.stop()
    }

    @Test func anthropicMessagesUseXApiKeyAndAnthropicErrors() async throws {
        let env = try await ProxyEnvironment.start(keys: [Self.key("sk-ant-upstream-01")]) { url in
            [.simulated("ant", key: "sk-ant-upstream-01", baseURL: url, provider: .anthropic)]
        }
        let answer = try await env.send(
            "/v1/messages", body: #"{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}"#,
            key: ProxyEnvironment.clientKey, keyHeader: "x-api-key")
        #expect(answer.status == 200)
        #expect(answer.json?["type"] == "message")
        let stats = try await env.simulatorState.stats(forKey: "sk-ant-upstream-01")
        #expect(stats.lastRequest?.headers["x-api-key"] == "sk-ant-upstream-01")
        #expect(stats.lastRequest?.headers["anthropic-version"] != nil)
        #expect(stats.lastRequest?.headers["authorization"] == nil, "the client's key never goes upstream")

        let unauthorized = try await env.send(
            "/v1/messages", body: #"{"model":"claude-sonnet-4-5","messages":[]}"#, key: "wrong-key", keyHeader: "x-api-key")
        #expect(unauthorized.status == 401)
        #expect(unauthorized.json?["type"] == "error")
        #expect(unauthorized.json?["error"]?["type"] == "authentication_error")
        await env.stop()
    }

    @Test func streamingRelaysTheFirstChunkBeforeTheUpstreamFinishes() async throws {
        let env = try await ProxyEnvironment.start(
            keys: [Self.key("sk-stream-000001")], simulator: SimulatorConfiguration(streamChunkDelayMilliseconds: 400, streamChunks: 6)
        ) { url in
            [.simulated("acc-s", key: "sk-stream-000001", baseURL: url)]
        }
        var request = HTTPClientRequest(url: env.proxyURL + "/v1/chat/completions")
        request.method = .POST
        request.headers.add(name: "authorization", value: "Bearer \(ProxyEnvironment.clientKey)")
        request.body = .bytes(ByteBuffer(string: #"{"model":"gpt-4o-mini","messages":[],"stream":true}"#))
        let started = ContinuousClock.now
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        #expect(response.status == .ok)
        #expect(response.headers.first(name: "content-type")?.hasPrefix("text/event-stream") == true)
        var firstChunkAt: Duration?
        var text = ""
        for try await part in response.body {
            if firstChunkAt == nil { firstChunkAt = ContinuousClock.now - started }
            text += String(buffer: part)
        }
        let total = ContinuousClock.now - started
        let first = try #require(firstChunkAt)
        // Six chunks 400 ms apart: the whole stream takes > 2 s; a buffering proxy would deliver
        // the first byte only at the end.
        #expect(total > .seconds(2))
        #expect(first < total - .seconds(1), "first chunk after \(first), stream ended after \(total)")
        #expect(text.contains("data: [DONE]"))
        await env.stop()
    }

    @Test(arguments: [
        (FaultMode.quotaExhausted, "quota_exhausted"), (.rateLimited, "rate_limited"), (.unauthorized, "auth_failed"),
        (.serverError, nil), (.unavailable, nil), (.reset, nil),
    ] as [(FaultMode, String?)])
    func failsOverToTheNextAccount(fault: FaultMode, cooldown: String?) async throws {
        let env = try await ProxyEnvironment.start(
            keys: [Self.key("sk-broken-000001", fault: Fault(mode: fault, retryAfter: 30)), Self.key("sk-healthy-00001")],
            config: ["routing": ["strategy": "fill-first"]]
        ) { url in
            [.simulated("acc-1-broken", key: "sk-broken-000001", baseURL: url), .simulated("acc-2-healthy", key: "sk-healthy-00001", baseURL: url)]
        }
        let answer = try await env.chat(model: "gpt-4o-mini")
        #expect(answer.status == 200, "\(fault): \(answer.body)")
        #expect(try await env.requests(to: "sk-broken-000001") == 1)
        #expect(try await env.requests(to: "sk-healthy-00001") == 1)
        if let cooldown {
            let entries = try await env.control.send("cooldowns")["cooldowns"]?.arrayValue ?? []
            #expect(entries.contains { $0["account"] == "acc-1-broken" && $0["reason"]?.stringValue == cooldown }, "\(entries)")
            // While cooling down, the broken account is not asked again.
            _ = try await env.chat(model: "gpt-4o-mini")
            #expect(try await env.requests(to: "sk-broken-000001") == 1)
        }
        await env.stop()
    }

    @Test func aClientErrorIsReturnedAtOnce() async throws {
        let env = try await ProxyEnvironment.start(
            keys: [Self.key("sk-badreq-000001", fault: Fault(mode: .badRequest)), Self.key("sk-healthy-00002")],
            config: ["routing": ["strategy": "fill-first"]]
        ) { url in
            [.simulated("acc-1", key: "sk-badreq-000001", baseURL: url), .simulated("acc-2", key: "sk-healthy-00002", baseURL: url)]
        }
        let answer = try await env.chat(model: "gpt-4o-mini")
        #expect(answer.status == 400)
        #expect(try await env.requests(to: "sk-healthy-00002") == 0)
        await env.stop()
    }

    @Test func fallbackTierOnlyWhenNoPrimaryCanServe() async throws {
        let env = try await ProxyEnvironment.start(keys: [Self.key("sk-primary-00001"), Self.key("sk-fallback-0001")]) { url in
            [
                .simulated("primary", key: "sk-primary-00001", baseURL: url),
                .simulated("fallback", key: "sk-fallback-0001", baseURL: url, tier: .fallback),
            ]
        }
        for _ in 0..<4 { #expect(try await env.chat(model: "gpt-4o-mini").status == 200) }
        #expect(try await env.requests(to: "sk-primary-00001") == 4)
        #expect(try await env.requests(to: "sk-fallback-0001") == 0)

        try await env.simulatorState.setFault(Fault(mode: .quotaExhausted), forKey: "sk-primary-00001")
        #expect(try await env.chat(model: "gpt-4o-mini").status == 200)
        #expect(try await env.requests(to: "sk-fallback-0001") == 1)
        await env.stop()
    }

    @Test func disableFallbackGivesAClearQuotaError() async throws {
        let env = try await ProxyEnvironment.start(
            keys: [Self.key("sk-primary-00002", fault: Fault(mode: .quotaExhausted)), Self.key("sk-fallback-0002")],
            config: ["routing": ["disable_fallback": true]]
        ) { url in
            [
                .simulated("primary", key: "sk-primary-00002", baseURL: url),
                .simulated("fallback", key: "sk-fallback-0002", baseURL: url, tier: .fallback),
            ]
        }
        let answer = try await env.chat(model: "gpt-4o-mini")
        #expect(answer.status == 429)
        #expect(answer.headers.first(name: "retry-after").flatMap(Int.init) ?? 0 >= 1)
        #expect(answer.json?["error"]?["message"]?.stringValue?.contains("gpt-4o-mini") == true)
        #expect(try await env.requests(to: "sk-fallback-0002") == 0)
        await env.stop()
    }

    @Test func protectionFollowsModelGroups() async throws {
        let env = try await ProxyEnvironment.start(keys: [Self.key("sk-protected-001"), Self.key("sk-free-00000001")]) { url in
            [
                .simulated("acc-protected", key: "sk-protected-001", baseURL: url, protectedModels: ["claude-sonnet-4-5", "my-model"]),
                .simulated("acc-free", key: "sk-free-00000001", baseURL: url),
            ]
        }
        for model in ["claude-sonnet-4-5-thinking", "claude-sonnet-4-5", "claude-opus-4-5-thinking", "my-model"] {
            for _ in 0..<2 { #expect(try await env.chat(model: model).status == 200) }
        }
        #expect(try await env.requests(to: "sk-protected-001") == 0, "a protected group is avoided for all its models")
        #expect(try await env.requests(to: "sk-free-00000001") == 8)
        // Other models still use the protected account.
        for _ in 0..<4 { _ = try await env.chat(model: "gpt-4o-mini") }
        #expect(try await env.requests(to: "sk-protected-001") > 0)
        await env.stop()
    }

    @Test func whenEveryAccountIsOutTheClientGets429WithRetryAfter() async throws {
        let env = try await ProxyEnvironment.start(
            keys: [Self.key("sk-empty-0000001", models: ["gpt-4o-mini": SimQuota(limit: 100, remaining: 0, resetSeconds: 600)])]
        ) { url in
            [.simulated("only", key: "sk-empty-0000001", baseURL: url, protectedModels: [])]
        }
        let first = try await env.chat(model: "gpt-4o-mini")
        #expect(first.status == 429)
        let retry = try #require(first.headers.first(name: "retry-after").flatMap(Int.init))
        #expect(retry >= 1 && retry <= 601)
        // The second request does not reach the upstream: the account is known to be exhausted.
        let second = try await env.chat(model: "gpt-4o-mini")
        #expect(second.status == 429)
        let message = second.json?["error"]?["message"]?.stringValue ?? ""
        // Live headers reported 0% remaining, so the account is protected (and cooling down).
        #expect(message.contains("gpt-4o-mini") && message.contains("earliest recovery"), "\(message)")
        #expect(message.contains("protected") || message.contains("cooling down"), "\(message)")
        #expect(second.headers.first(name: "retry-after") != nil)
        #expect(try await env.requests(to: "sk-empty-0000001") == 1)
        await env.stop()
    }

    /// An unknown model is not an outage: 404 in the route's dialect naming the model and what is
    /// served, so SDKs fail at once instead of retrying (issue 15).
    @Test func modelNobodyServesIs404InTheRoutesDialect() async throws {
        let env = try await ProxyEnvironment.start(keys: [Self.key("sk-limited-00001")]) { url in
            [.simulated("limited", key: "sk-limited-00001", baseURL: url, models: ["gpt-4o-mini"])]
        }
        let answer = try await env.chat(model: "gemini-3-flash")
        #expect(answer.status == 404)
        #expect(answer.headers.first(name: "retry-after") == nil)
        #expect(answer.json?["error"]?["code"]?.stringValue == "model_not_found")
        let message = answer.json?["error"]?["message"]?.stringValue ?? ""
        #expect(message.contains("gemini-3-flash") && message.contains("gpt-4o-mini"))
        let anthropic = try await env.send(
            .POST, "/v1/messages", body: #"{"model":"gemini-3-flash","max_tokens":5,"messages":[]}"#)
        #expect(anthropic.status == 404)
        #expect(anthropic.json?["error"]?["type"]?.stringValue == "not_found_error")
        #expect(anthropic.json?["type"]?.stringValue == "error")
        let models = try await env.send(.GET, "/v1/models")
        #expect(models.status == 200)
        #expect(models.json?["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == ["gpt-4o-mini"])
        let one = try await env.send(.GET, "/v1/models/gpt-4o-mini")
        #expect(one.status == 200)
        #expect(one.json?["id"]?.stringValue == "gpt-4o-mini")
        let unknown = try await env.send(.GET, "/v1/models/nope")
        #expect(unknown.status == 404)
        #expect(unknown.json?["error"]?["code"]?.stringValue == "model_not_found")
        await env.stop()
    }

    /// Accounts that exist but are all disabled: 503, waiting will not help.
    @Test func allAccountsDisabledIs503() async throws {
        var disabled = Account.simulated("off", key: "sk-off-000000001", baseURL: "http://127.0.0.1:9", models: ["gpt-4o-mini"])
        disabled.disabled = true
        let env = try await ProxyEnvironment.start(keys: [Self.key("sk-off-000000001")]) { _ in [disabled] }
        let answer = try await env.chat(model: "gpt-4o-mini")
        #expect(answer.status == 503)
        #expect(answer.headers.first(name: "retry-after") == nil)
        await env.stop()
    }

    @Test func badClientInputGetsClearErrors() async throws {
        let env = try await ProxyEnvironment.start(keys: [Self.key("sk-input-0000001")]) { url in
            [.simulated("acc", key: "sk-input-0000001", baseURL: url)]
        }
        #expect(try await env.chat(model: "gpt-4o-mini", key: nil).status == 401)
        #expect(try await env.chat(model: "gpt-4o-mini", key: "nope").status == 401)
        let notJSON = try await env.send("/v1/chat/completions", body: "{not json")
        #expect(notJSON.status == 400)
        #expect(notJSON.json?["error"]?["type"] == "invalid_request_error")
        let noModel = try await env.send("/v1/chat/completions", body: #"{"messages":[]}"#)
        #expect(noModel.status == 400)
        #expect(noModel.json?["error"]?["message"]?.stringValue?.contains("model") == true)
        // Over 32 MiB: 413 as soon as the head is read; the body the client sends anyway is read
        // and dropped, so its upload completes and it reads the answer; then the connection closes.
        // (A raw client: AsyncHTTPClient fails its own upload when an error answer ends first.)
        let huge = "{\"model\":\"gpt-4o-mini\",\"pad\":\"" + String(repeating: "x", count: 33 << 20) + "\"}"
        let tooLarge = try await RawTCPClient.exchange(
            port: env.proxyPort,
            request: "POST /v1/chat/completions HTTP/1.1\r\nHost: p\r\nAuthorization: Bearer \(ProxyEnvironment.clientKey)\r\n"
                + "Content-Length: \(huge.utf8.count)\r\n\r\n" + huge)
        #expect(String(decoding: tooLarge.received, as: UTF8.self).hasPrefix("HTTP/1.1 413 Payload Too Large\r\n"))
        #expect(tooLarge.closed)
        #expect(try await env.send(.GET, "/v1/nothing").status == 404)
        #expect(try await env.send(.GET, "/v1/chat/completions").status == 405)
        let health = try await env.send(.GET, "/healthz", key: nil)
        #expect(health.status == 200)
        #expect(try await env.requests(to: "sk-input-0000001") == 0, "nothing bad reached the upstream")
        // And the proxy still serves.
        #expect(try await env.chat(model: "gpt-4o-mini").status == 200)
        await env.stop()
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        let env = try await ProxyEnvironment.start(keys: [Self.key("sk-pipeline-00001")]) { url in
            [.simulated("acc", key: "sk-pipeline-00001", baseURL: url)]
        }
        let body = #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"one"}]}"#
        func post(_ extra: String = "") -> String {
            "POST /v1/chat/completions HTTP/1.1\r\nHost: proxy\r\nAuthorization: Bearer \(ProxyEnvironment.clientKey)\r\n"
                + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\(extra)\r\n\(body)"
        }
        // Three requests in one write: the second (answered by the proxy itself) must wait for the
        // first (answered by the upstream), and the third for the second.
        let outcome = try await RawTCPClient.exchange(
            port: env.proxyPort, request: post() + "GET /healthz HTTP/1.1\r\nHost: proxy\r\n\r\n" + post("Connection: close\r\n"))
        let text = String(decoding: outcome.received, as: UTF8.self)
        // Bodies do not end with a line break, so a status line may follow a body directly.
        let statuses = text.components(separatedBy: "HTTP/1.1 ").dropFirst().map { $0.prefix(6) }
        #expect(statuses == ["200 OK", "200 OK", "200 OK"], "\(text)")
        let first = try #require(text.range(of: "chat.completion"))
        let health = try #require(text.range(of: #"{"status":"ok"}"#))
        let last = try #require(text.range(of: "chat.completion", options: .backwards))
        #expect(first.upperBound <= health.lowerBound && health.upperBound <= last.lowerBound, "answers in request order")
        #expect(outcome.closed, "Connection: close on the last request closes the connection")
        #expect(try await env.requests(to: "sk-pipeline-00001") == 2)
        await env.stop()
    }

    @Test func responseFramingFollowsTheClientAndMalformedRequestsGet400() async throws {
        let env = try await ProxyEnvironment.start(keys: [Self.key("sk-framing-000001")]) { url in
            [.simulated("acc", key: "sk-framing-000001", baseURL: url)]
        }
        func post(_ version: String, stream: Bool) -> String {
            let body = #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"stream":\#(stream)}"#
            return "POST /v1/chat/completions HTTP/\(version)\r\nHost: proxy\r\nAuthorization: Bearer \(ProxyEnvironment.clientKey)\r\n"
                + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
        }
        func split(_ outcome: RawTCPClient.Outcome) throws -> (head: String, body: String) {
            let text = String(decoding: outcome.received, as: UTF8.self)
            let end = try #require(text.range(of: "\r\n\r\n"), "\(text)")
            return (String(text[..<end.lowerBound]).lowercased(), String(text[end.upperBound...]))
        }

        // HTTP/1.1, length unknown (a stream): chunked, each chunk well formed, ending with the last chunk.
        let chunked = try await RawTCPClient.exchange(port: env.proxyPort, request: post("1.1", stream: true))
        let (chunkedHead, chunkedBody) = try split(chunked)
        #expect(chunkedHead.hasPrefix("http/1.1 200 ok"))
        #expect(chunkedHead.contains("transfer-encoding: chunked"))
        #expect(chunkedHead.contains("content-type: text/event-stream"))
        #expect(!chunkedHead.contains("content-length"))
        // Decoded by bytes: sizes count bytes, and "\r\n" is one Character in Swift.
        var rest = Array(chunkedBody.utf8)[...]
        var decodedBytes: [UInt8] = []
        while true {
            let lineEnd = try #require(rest.firstIndex(of: UInt8(ascii: "\r")), "chunk size line")
            let size = try #require(Int(String(decoding: rest[..<lineEnd], as: UTF8.self), radix: 16))
            rest = rest[(lineEnd + 2)...]
            if size == 0 { break }
            decodedBytes += rest.prefix(size)
            rest = rest.dropFirst(size)
            #expect(rest.starts(with: [0x0D, 0x0A]))
            rest = rest.dropFirst(2)
        }
        #expect(Array(rest) == [0x0D, 0x0A], "nothing after the last chunk")
        let decoded = String(decoding: decodedBytes, as: UTF8.self)
        #expect(decoded.hasPrefix("data: {"))
        #expect(decoded.contains("data: [DONE]"))
        #expect(chunked.closed)

        // HTTP/1.0 cannot take chunks: the body goes as it is and the connection closes after it.
        let plain = try await RawTCPClient.exchange(port: env.proxyPort, request: post("1.0", stream: true))
        let (plainHead, plainBody) = try split(plain)
        #expect(plainHead.hasPrefix("http/1.1 200 ok"))
        #expect(!plainHead.contains("transfer-encoding"))
        #expect(plainHead.contains("connection: close"))
        #expect(plainBody.hasPrefix("data: {"))
        #expect(plainBody.hasSuffix("data: [DONE]\n\n"))
        #expect(plain.closed)

        // A known length is kept, and the body is exactly that long.
        let sized = try await RawTCPClient.exchange(port: env.proxyPort, request: post("1.1", stream: false))
        let (sizedHead, sizedBody) = try split(sized)
        let lengthLine = try #require(sizedHead.split(separator: "\r\n").first { $0.hasPrefix("content-length: ") })
        #expect(Int(lengthLine.dropFirst("content-length: ".count)) == sizedBody.utf8.count)
        #expect(sizedBody.contains("chat.completion"))

        // What NIO's parser rejects gets a 400 and a closed connection; the proxy keeps serving.
        let garbage = try await RawTCPClient.exchange(port: env.proxyPort, request: "NOT HTTP AT ALL\r\n\r\n")
        #expect(String(decoding: garbage.received, as: UTF8.self).hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        #expect(garbage.closed)
        let badLength = try await RawTCPClient.exchange(
            port: env.proxyPort, request: "POST /v1/chat/completions HTTP/1.1\r\nHost: p\r\nContent-Length: x1\r\n\r\n")
        #expect(String(decoding: badLength.received, as: UTF8.self).hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        let oversized = try await RawTCPClient.exchange(
            port: env.proxyPort,
            request: "GET /healthz HTTP/1.1\r\n" + String(repeating: "X-Filler: 0123456789012345678901234567890123456789\r\n", count: 2000))
        #expect(String(decoding: oversized.received, as: UTF8.self).hasPrefix("HTTP/1.1 431 Request Header Fields Too Large\r\n"))

        // A chunked request body reaches the upstream whole, with a length; Expect: 100-continue
        // gets its interim answer before the final one.
        let body = #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"chunked"}]}"#
        let half = body.utf8.count / 2
        let chunkedRequest =
            "POST /v1/chat/completions HTTP/1.1\r\nHost: proxy\r\nAuthorization: Bearer \(ProxyEnvironment.clientKey)\r\n"
            + "Transfer-Encoding: chunked\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"
            + String(half, radix: 16) + "\r\n" + String(body.prefix(half)) + "\r\n"
            + String(body.utf8.count - half, radix: 16) + ";ext\r\n" + String(body.dropFirst(half)) + "\r\n0\r\n\r\n"
        let viaChunks = try await RawTCPClient.exchange(port: env.proxyPort, request: chunkedRequest)
        let viaChunksText = String(decoding: viaChunks.received, as: UTF8.self)
        #expect(viaChunksText.hasPrefix("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"), "\(viaChunksText)")
        let forwarded = try await env.simulatorState.stats(forKey: "sk-framing-000001").lastRequest
        #expect(forwarded?.body == body)
        #expect(forwarded?.headers["content-length"] == String(body.utf8.count))
        #expect(forwarded?.headers["transfer-encoding"] == nil)
        #expect(forwarded?.headers["expect"] == nil)

        #expect(try await env.chat(model: "gpt-4o-mini").status == 200)
        #expect(try await env.requests(to: "sk-framing-000001") == 5)
        await env.stop()
    }

    @Test func idleClientConnectionsCloseButAnswersInFlightDoNot() async throws {
        let env = try await ProxyEnvironment.start(
            keys: [Self.key("sk-idle-000000001")],
            simulator: SimulatorConfiguration(streamChunkDelayMilliseconds: 500, streamChunks: 5),
            config: ["listen": ["idle_timeout_seconds": 1]]
        ) { url in
            [.simulated("acc", key: "sk-idle-000000001", baseURL: url)]
        }
        // A connection that never sends anything is closed after 1 to 1.25 timeouts.
        let started = ContinuousClock.now
        let silent = try await RawTCPClient.exchange(port: env.proxyPort, request: "")
        let waited = ContinuousClock.now - started
        #expect(silent.closed && silent.received.isEmpty)
        #expect(waited >= .milliseconds(900) && waited < .seconds(4), "closed after \(waited)")

        // A keep-alive connection gets its answer, then is closed once it has been quiet that long.
        let idleAfterAnswer = try await RawTCPClient.exchange(
            port: env.proxyPort, request: "GET /healthz HTTP/1.1\r\nHost: proxy\r\n\r\n")
        #expect(String(decoding: idleAfterAnswer.received, as: UTF8.self).hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(idleAfterAnswer.closed)

        // A stream that runs 2.5 s, with 500 ms between events, is not cut by the 1 s timeout:
        // the client sends nothing while it waits, but an answer is in flight.
        let body = #"{"model":"gpt-4o-mini","messages":[],"stream":true}"#
        let streamed = try await RawTCPClient.exchange(
            port: env.proxyPort,
            request: "POST /v1/chat/completions HTTP/1.1\r\nHost: proxy\r\nAuthorization: Bearer \(ProxyEnvironment.clientKey)\r\n"
                + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
        let streamedText = String(decoding: streamed.received, as: UTF8.self)
        #expect(streamedText.contains("data: [DONE]"), "\(streamedText)")
        #expect(streamedText.hasSuffix("0\r\n\r\n"), "the chunked answer ended properly before the close")
        #expect(streamed.closed)
        await env.stop()
    }

    @Test func aModelAliasRewritesOnlyTheModelAndIsLogged() async throws {
        let env = try await ProxyEnvironment.start(
            keys: [Self.key("sk-alias-00000001")], config: ["model_aliases": ["house-model": "gpt-4o-mini"]]
        ) { url in
            [.simulated("acc", key: "sk-alias-00000001", baseURL: url, models: ["gpt-4o-mini"])]
        }
        let body = #"{"messages":[{"role":"user","content":"the \"house-model\" stays here"}],"model" : "house-model","n":1}"#
        let answer = try await env.send("/v1/chat/completions", body: body)
        #expect(answer.status == 200, "\(answer.body)")
        let forwarded = try await env.simulatorState.stats(forKey: "sk-alias-00000001").lastRequest?.body
        #expect(
            forwarded == #"{"messages":[{"role":"user","content":"the \"house-model\" stays here"}],"model" : "gpt-4o-mini","n":1}"#,
            "only the model value changes")
        let models = try await env.send(.GET, "/v1/models")
        #expect(models.json?["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == ["gpt-4o-mini", "house-model"])
        // The request log keeps both names.
        let log = StateDirectory(path: env.statePath).requestLog
        var records: [RequestRecord] = []
        _ = await env.eventually {
            records = (try? log.records()) ?? []
            return !records.isEmpty
        }
        #expect(records.first?.model == "house-model" && records.first?.mappedModel == "gpt-4o-mini")
        #expect(records.first?.group == "gpt-4o-mini")
        await env.stop()
    }
}
