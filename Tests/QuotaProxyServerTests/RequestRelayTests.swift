import Foundation
import NIOCore
import NIOHTTP1
import QuotaCore
import QuotaTestSupport
import QuotaUpstream
import Testing

@testable import QuotaProxyServer

/// The request path's relay of a native answer (the client's protocol is the account's), driven
/// byte by byte on an EmbeddedChannel.
@Suite("Request path: relay")
struct RequestRelayTests {
    @Test("the request goes to the account's origin with its key, never the client's, and the body unchanged")
    func requestAsSentUpstream() throws {
        let harness = try RequestPathHarness(accounts: [.test("acc-a")])
        let body = RequestPathHarness.chat("gpt-4o-mini")
        try harness.post("/v1/chat/completions", body: body, headers: [("x-custom-trace", "t-1")])

        let call = try #require(harness.upstream.last)
        #expect(harness.upstream.calls.count == 1)
        #expect(call.method == .POST)
        #expect(call.origin.host == "acc-a.upstream.test")
        #expect(call.origin.port == 8080)
        #expect(call.uri == "/v1/chat/completions")
        #expect(call.header("authorization") == "Bearer sk-acc-a-secret-0001")
        #expect(call.header("x-custom-trace") == "t-1")
        #expect(call.bodyText == body)
        // The client's key stays with the proxy.
        #expect(!String(describing: call.request.head.headers).contains(RequestPathHarness.clientKey))
        #expect(call.header("x-api-key") == nil)
    }

    @Test("a whole answer reaches the client byte for byte, with the upstream's headers and status")
    func wholeAnswer() throws {
        let harness = try RequestPathHarness(accounts: [.test("acc-a")])
        try harness.post("/v1/chat/completions", body: RequestPathHarness.chat("gpt-4o-mini"))
        #expect(try harness.response() == nil)  // nothing before the upstream answers

        let answer = #"{"id":"chatcmpl-1","choices":[{"message":{"role":"assistant","content":"héllo"}}]}"#
        try #require(harness.upstream.last).answer(.ok, headers: [("x-request-id", "req-42")], body: answer)

        let response = try harness.expectResponse()
        #expect(response.status == 200)
        #expect(response.framing == .contentLength)
        #expect(response.header("x-request-id") == "req-42")
        #expect(response.header("content-type") == "application/json")
        #expect(response.body == Array(answer.utf8))
        #expect(harness.isClientConnectionOpen)

        let log = try harness.requestLog()
        #expect(log.count == 1)
        #expect(log.first?["account"] as? String == "acc-a")
        #expect(log.first?["status"] as? Int == 200)
    }

    @Test("an empty answer and a 204 pass through")
    func emptyAnswers() throws {
        let harness = try RequestPathHarness(accounts: [.test("acc-a")])
        try harness.post("/v1/chat/completions", body: RequestPathHarness.chat("m"))
        try #require(harness.upstream.last).answer(.ok, body: "")
        let first = try harness.expectResponse()
        #expect(first.status == 200)
        #expect(first.body.isEmpty)

        try harness.post("/v1/chat/completions", body: RequestPathHarness.chat("m"))
        let call = try #require(harness.upstream.last)
        call.head(.noContent)
        call.finish()
        let second = try harness.expectResponse()
        #expect(second.status == 204)
        #expect(second.body.isEmpty)
    }

    @Test("an answer without a length is streamed chunked, each part as it arrives")
    func streamedAsItArrives() throws {
        let harness = try RequestPathHarness(accounts: [.test("acc-a")])
        let call = try harness.startStream(firstEvent: "data: {\"n\":1}\n\n")
        // The first event is out before the upstream sends the second: nothing is buffered whole.
        let soFar = try harness.receivedSoFar()
        #expect(soFar.contains("data: {\"n\":1}"))
        #expect(!soFar.contains("[DONE]"))

        call.body("data: {\"n\":2}\n\n")
        call.read("data: [DONE]\n\n")
        call.finish()
        let response = try harness.expectResponse()
        #expect(response.framing == .chunked)
        #expect(response.header("content-type") == "text/event-stream")
        #expect(response.bodyText == "data: {\"n\":1}\n\ndata: {\"n\":2}\n\ndata: [DONE]\n\n")
        let log = try harness.requestLog()
        #expect(log.first?["stream"] as? Bool == true)
    }

    @Test("a 4 MiB answer in 64 KiB parts arrives complete and in order")
    func largeAnswer() throws {
        let harness = try RequestPathHarness(accounts: [.test("acc-a")])
        try harness.post("/v1/chat/completions", body: RequestPathHarness.chat("m"))
        let call = try #require(harness.upstream.last)
        let partSize = 64 << 10
        let parts = 64
        call.head(.ok, [("content-type", "application/octet-stream"), ("content-length", String(partSize * parts))])
        var expected: [UInt8] = []
        for index in 0..<parts {
            let part = [UInt8](repeating: UInt8(index), count: partSize)
            expected += part
            call.body(ByteBuffer(bytes: part))
            call.readComplete()
        }
        call.finish()
        let response = try harness.expectResponse()
        #expect(response.body.count == expected.count)
        #expect(response.body == expected)
    }

    @Test("keep-alive: requests one after another on one connection, round robin over the accounts")
    func keepAlive() throws {
        let harness = try RequestPathHarness(accounts: [.test("acc-a"), .test("acc-b")])
        var servedBy: [String] = []
        for _ in 0..<4 {
            try harness.post("/v1/chat/completions", body: RequestPathHarness.chat("m"))
            let call = try #require(harness.upstream.last)
            servedBy.append(call.origin.host)
            call.answer(.ok, body: "{}")
            #expect(try harness.expectResponse().status == 200)
        }
        #expect(harness.isClientConnectionOpen)
        #expect(Set(servedBy) == ["acc-a.upstream.test", "acc-b.upstream.test"])
        #expect(servedBy[0] != servedBy[1])
    }

    @Test("pipelined requests are answered in order, the second sent upstream only after the first answer")
    func pipelined() throws {
        let harness = try RequestPathHarness(accounts: [.test("acc-a")])
        let one = RequestPathHarness.request("/v1/chat/completions", body: RequestPathHarness.chat("first"))
        let two = RequestPathHarness.request("/v1/chat/completions", body: RequestPathHarness.chat("second"))
        try harness.send(one + two)
        #expect(harness.upstream.calls.count == 1)
        try #require(harness.upstream.last).answer(.ok, body: "one")
        #expect(harness.upstream.calls.count == 2)
        #expect(try #require(harness.upstream.last).bodyText.contains("second"))
        try #require(harness.upstream.last).answer(.ok, body: "two")
        #expect(try harness.expectResponse().bodyText == "one")
        #expect(try harness.expectResponse().bodyText == "two")
    }

    @Test("connection: close from the client: the answer is written, then the connection closes")
    func clientAsksToClose() throws {
        let harness = try RequestPathHarness(accounts: [.test("acc-a")])
        try harness.post("/v1/chat/completions", body: RequestPathHarness.chat("m"), keepAlive: false)
        try #require(harness.upstream.last).answer(.ok, body: "{}")
        let response = try harness.expectResponse()
        #expect(response.header("connection") == "close")
        #expect(!harness.isClientConnectionOpen)
    }
}
