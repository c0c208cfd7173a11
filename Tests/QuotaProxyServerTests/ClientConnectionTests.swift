import Foundation
import NIOCore
import NIOEmbedded
import NIOHTTP1
import QuotaCore
import QuotaTestSupport
import QuotaUpstream
import Testing

@testable import QuotaProxyServer

/// The client side of the request path: backpressure, a client that goes away, and the
/// connection deadlines (moved with the embedded loop's clock, no waiting).
@Suite("Request path: client connection")
struct ClientConnectionTests {
    @Test("a client that stops reading pauses the upstream; held parts go out in order when it reads again")
    func backpressure() throws {
        let harness = try RequestPathHarness(accounts: [.test("acc-a")])
        let call = try harness.startStream(firstEvent: "data: 1\n\n")

        harness.channel.isWritable = false
        harness.channel.pipeline.fireChannelWritabilityChanged()
        #expect(call.isPaused)
        #expect(call.pauses == 1)
        call.read("data: 2\n\n", "data: 3\n\n")
        #expect(!(try harness.receivedSoFar()).contains("data: 2"))  // held while the client is full

        harness.channel.isWritable = true
        harness.channel.pipeline.fireChannelWritabilityChanged()
        #expect(!call.isPaused)
        #expect(call.resumes == 1)
        #expect((try harness.receivedSoFar()).contains("data: 3"))
        call.read("data: [DONE]\n\n")
        call.finish()
        #expect(try harness.expectResponse().bodyText == "data: 1\n\ndata: 2\n\ndata: 3\n\ndata: [DONE]\n\n")
    }

    @Test("the client goes away during the answer: the upstream exchange is cancelled and the request logged as 499")
    func clientGoneDuringAnswer() throws {
        let harness = try RequestPathHarness(accounts: [.test("acc-a")])
        let call = try harness.startStream(firstEvent: "data: 1\n\n")
        harness.channel.pipeline.fireChannelInactive()
        #expect(call.isCancelled)
        let record = try #require(try harness.requestLog().first)
        #expect(record["status"] as? Int == 499)
        #expect((record["error"] as? String)?.contains("during the answer") == true)
    }

    @Test("the client goes away before the answer: the upstream exchange is cancelled, nothing else is tried")
    func clientGoneBeforeAnswer() throws {
        let harness = try RequestPathHarness(accounts: [.test("acc-a"), .test("acc-b")])
        try harness.post("/v1/chat/completions", body: RequestPathHarness.chat("m"))
        let call = try #require(harness.upstream.last)
        harness.channel.pipeline.fireChannelInactive()
        #expect(call.isCancelled)
        #expect(harness.upstream.calls.count == 1)
        #expect(try harness.requestLog().first?["status"] as? Int == 499)
    }

    @Test("a request head trickling in for longer than listen.header_timeout_seconds gets 408 and the connection closes")
    func headTimeout() throws {
        let harness = try RequestPathHarness(accounts: [.test("acc-a")]) {
            $0.listen.headerTimeoutSeconds = 10
            $0.listen.idleTimeoutSeconds = 120
        }
        try harness.send("POST /v1/chat/completions HTTP/1.1\r\nhost: proxy.test\r\n")
        for _ in 0..<4 {
            harness.channel.embeddedEventLoop.advanceTime(by: .seconds(2))
            try harness.send("x-slow: a\r\n")  // still trickling: reads do not extend the deadline
        }
        #expect(harness.isClientConnectionOpen)
        harness.channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        let response = try harness.expectResponse()
        #expect(response.status == 408)
        #expect(response.bodyText.contains("listen.header_timeout_seconds"))
        #expect(!harness.isClientConnectionOpen)
        #expect(harness.upstream.calls.isEmpty)
    }

    @Test("an idle keep-alive connection closes after listen.idle_timeout_seconds, not before")
    func idleTimeout() throws {
        let harness = try RequestPathHarness(accounts: [.test("acc-a")]) {
            $0.listen.headerTimeoutSeconds = 60
            $0.listen.idleTimeoutSeconds = 40
        }
        try harness.post("/v1/chat/completions", body: RequestPathHarness.chat("m"))
        try #require(harness.upstream.last).answer(.ok, body: "{}")
        #expect(try harness.expectResponse().status == 200)
        harness.channel.embeddedEventLoop.advanceTime(by: .seconds(35))
        #expect(harness.isClientConnectionOpen)
        harness.channel.embeddedEventLoop.advanceTime(by: .seconds(20))
        #expect(!harness.isClientConnectionOpen)
        #expect(try harness.response() == nil)  // closed without an answer
    }

    @Test("a long answer keeps its connection however long the upstream takes between parts")
    func slowUpstreamIsNotIdle() throws {
        let harness = try RequestPathHarness(accounts: [.test("acc-a")]) { $0.listen.idleTimeoutSeconds = 20 }
        try harness.post("/v1/chat/completions", body: RequestPathHarness.chat("m", stream: true))
        let call = try #require(harness.upstream.last)
        call.streamHead()
        for index in 0..<5 {
            harness.channel.embeddedEventLoop.advanceTime(by: .seconds(30))
            call.body("data: \(index)\n\n")
            call.readComplete()
        }
        #expect(harness.isClientConnectionOpen)
        call.finish()
        #expect(try harness.expectResponse().status == 200)
    }

    @Test("malformed bytes and an oversized body are refused at once, with nothing sent upstream")
    func hostileInput() throws {
        let garbage = try RequestPathHarness(accounts: [.test("acc-a")])
        try garbage.send("\u{16}\u{03}\u{01}\u{02}\u{00}\u{01}\u{00}\u{01}\u{fc}\u{03}\u{03}\r\n\r\n")
        #expect(try garbage.expectResponse().status == 400)
        #expect(!garbage.isClientConnectionOpen)

        let large = try RequestPathHarness(accounts: [.test("acc-a")])
        try large.send(
            "POST /v1/chat/completions HTTP/1.1\r\nhost: p\r\nauthorization: Bearer \(RequestPathHarness.clientKey)\r\ncontent-length: \(ProxyLimits.maximumBodyBytes + 1)\r\nexpect: 100-continue\r\n\r\n")
        #expect(try large.expectResponse().status == 413)
        #expect(large.upstream.calls.isEmpty)

        let noKey = try RequestPathHarness(accounts: [.test("acc-a")])
        try noKey.send("POST /v1/chat/completions HTTP/1.1\r\nhost: p\r\ncontent-length: 2\r\n\r\n{}")
        let refused = try noKey.expectResponse()
        #expect(refused.status == 401)
        #expect(noKey.upstream.calls.isEmpty)

        let badJSON = try RequestPathHarness(accounts: [.test("acc-a")])
        try badJSON.post("/v1/chat/completions", body: #"{"messages":[]}"#)
        let noModel = try badJSON.expectResponse()
        #expect(noModel.status == 400)
        #expect(noModel.bodyText.contains("model"))
        #expect(badJSON.upstream.calls.isEmpty)
    }
}
