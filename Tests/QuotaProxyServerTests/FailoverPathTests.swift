import Foundation
import NIOCore
import NIOHTTP1
import QuotaCore
import QuotaTestSupport
import QuotaUpstream
import Testing

@testable import QuotaProxyServer

/// What the request path does with each kind of upstream failure: which account is tried next,
/// what is recorded, and what the client finally gets. Times come from the harness's manual clock.
@Suite("Request path: failover")
struct FailoverPathTests {
    static let model = "gpt-4o-mini"

    /// Two accounts, fill-first so the first request always goes to `acc-a`.
    static func twoAccounts(maxAttempts: Int = 3) throws -> RequestPathHarness {
        try RequestPathHarness(accounts: [.test("acc-a"), .test("acc-b")]) {
            $0.routing.strategy = .fillFirst
            $0.routing.maxAttempts = maxAttempts
        }
    }

    static let rateLimitBody = #"{"error":{"message":"Rate limit reached for requests","type":"requests","code":"rate_limit_exceeded"}}"#

    @Test("429 with Retry-After: the account cools down for exactly that long, the next one answers")
    func rateLimitedFailsOver() throws {
        let harness = try Self.twoAccounts()
        try harness.post("/v1/chat/completions", body: RequestPathHarness.chat(Self.model))
        let first = try #require(harness.upstream.last)
        #expect(first.origin.host == "acc-a.upstream.test")
        first.answer(.tooManyRequests, headers: [("retry-after", "30")], body: Self.rateLimitBody)

        #expect(harness.upstream.calls.count == 2)
        let second = try #require(harness.upstream.last)
        #expect(second.origin.host == "acc-b.upstream.test")
        #expect(second.header("authorization") == "Bearer sk-acc-b-secret-0001")
        #expect(try harness.response() == nil)  // the 429 never reached the client
        second.answer(.ok, body: #"{"ok":true}"#)

        let response = try harness.expectResponse()
        #expect(response.status == 200)
        #expect(response.bodyText == #"{"ok":true}"#)
        #expect(harness.blockedUntil("acc-a", group: Self.model) == harness.clock.now.addingTimeInterval(30))
        #expect(harness.blockedUntil("acc-b", group: Self.model) == nil)
        #expect(harness.logs.messages.contains { $0.contains("rate_limited from acc-a for \(Self.model)") && $0.contains("trying the next account") })

        let record = try #require(try harness.requestLog().first)
        #expect(record["account"] as? String == "acc-b")
        let attempts = try #require(record["attempts"] as? [[String: Any]])
        #expect(attempts.map { $0["account"] as? String } == ["acc-a", "acc-b"])
        #expect(attempts.map { $0["outcome"] as? String } == ["rate_limited", "ok"])
        #expect(attempts.first?["status"] as? Int == 429)
    }

    @Test("every account rate limited: 429 to the client with Retry-After of the earliest recovery, which the clock then reaches")
    func allRateLimitedThenRecovery() throws {
        let harness = try Self.twoAccounts()
        try harness.post("/v1/chat/completions", body: RequestPathHarness.chat(Self.model))
        try #require(harness.upstream.last).answer(.tooManyRequests, headers: [("retry-after", "90")], body: Self.rateLimitBody)
        try #require(harness.upstream.last).answer(.tooManyRequests, headers: [("retry-after", "30")], body: Self.rateLimitBody)
        #expect(harness.upstream.calls.count == 2)

        let refused = try harness.expectResponse()
        #expect(refused.status == 429)
        #expect(refused.header("retry-after") == "30")
        #expect(refused.bodyText.contains("rate_limit"))
        #expect(harness.isClientConnectionOpen)

        // Before the earliest recovery nothing is sent upstream at all.
        harness.clock.advance(by: 29)
        try harness.post("/v1/chat/completions", body: RequestPathHarness.chat(Self.model))
        #expect(harness.upstream.calls.count == 2)
        let stillRefused = try harness.expectResponse()
        #expect(stillRefused.status == 429)
        #expect(stillRefused.header("retry-after") == "1")

        // Once acc-b's cooldown is over, it serves; acc-a (90 s) is still set aside.
        harness.clock.advance(by: 2)
        try harness.post("/v1/chat/completions", body: RequestPathHarness.chat(Self.model))
        let recovered = try #require(harness.upstream.last)
        #expect(harness.upstream.calls.count == 3)
        #expect(recovered.origin.host == "acc-b.upstream.test")
        recovered.answer(.ok, body: "{}")
        #expect(try harness.expectResponse().status == 200)
    }

    @Test("quota exhausted (insufficient_quota): the account is set aside for its group and the next answers")
    func quotaExhausted() throws {
        let harness = try Self.twoAccounts()
        try harness.post("/v1/chat/completions", body: RequestPathHarness.chat(Self.model))
        try #require(harness.upstream.last).answer(
            .tooManyRequests,
            body: #"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}"#)
        try #require(harness.upstream.last).answer(.ok, body: "{}")
        #expect(try harness.expectResponse().status == 200)
        let until = try #require(harness.blockedUntil("acc-a", group: Self.model))
        #expect(until > harness.clock.now)
        let attempts = try #require(try harness.requestLog().first?["attempts"] as? [[String: Any]])
        #expect(attempts.first?["outcome"] as? String == "quota_exhausted")
    }

    @Test("a 5xx, a refused connection and a head timeout each move on to the next account")
    func serviceFaultsFailOver() throws {
        let faults: [(String, (ScriptedCall) -> Void, String)] = [
            ("500", { $0.answer(.internalServerError, body: #"{"error":{"message":"boom"}}"#) }, "service_error"),
            ("refused", { $0.fail(.connectFailed(origin: $0.origin, underlying: "connection refused")) }, "service_error"),
            ("head timeout", { $0.fail(.responseHeadTimeout) }, "timeout"),
            ("reset before head", { $0.fail(.connectionReset(beforeResponseHead: true)) }, "service_error"),
        ]
        for (name, fault, outcome) in faults {
            let harness = try Self.twoAccounts()
            try harness.post("/v1/chat/completions", body: RequestPathHarness.chat(Self.model))
            fault(try #require(harness.upstream.last))
            #expect(harness.upstream.calls.count == 2, "\(name)")
            let next = try #require(harness.upstream.last)
            #expect(next.origin.host == "acc-b.upstream.test", "\(name)")
            next.answer(.ok, body: "{}")
            #expect(try harness.expectResponse().status == 200, "\(name)")
            let attempts = try #require(try harness.requestLog().first?["attempts"] as? [[String: Any]])
            #expect(attempts.first?["outcome"] as? String == outcome, "\(name)")
        }
    }

    @Test("a client error (400) is the client's: relayed as it is, no other account is tried")
    func clientErrorRelayed() throws {
        let harness = try Self.twoAccounts()
        try harness.post("/v1/chat/completions", body: RequestPathHarness.chat(Self.model))
        let body = #"{"error":{"message":"messages: at least one message is required","type":"invalid_request_error"}}"#
        try #require(harness.upstream.last).answer(.badRequest, headers: [("x-request-id", "r-9")], body: body)
        #expect(harness.upstream.calls.count == 1)
        let response = try harness.expectResponse()
        #expect(response.status == 400)
        #expect(response.bodyText == body)
        #expect(response.header("x-request-id") == "r-9")
        #expect(harness.blockedUntil("acc-a", group: Self.model) == nil)
    }

    @Test("max_attempts bounds the attempts that count (here timeouts); the client gets 504 with Retry-After and every failure named")
    func attemptsExhausted() throws {
        let accounts = (1...4).map { Account.test("acc-\($0)") }
        let harness = try RequestPathHarness(accounts: accounts) { $0.routing.maxAttempts = 3 }
        try harness.post("/v1/chat/completions", body: RequestPathHarness.chat(Self.model))
        for _ in 0..<3 {
            try #require(harness.upstream.last).fail(.responseHeadTimeout)
        }
        #expect(harness.upstream.calls.count == 3)
        #expect(Set(harness.upstream.calls.map(\.origin.host)).count == 3)  // never the same account twice
        let response = try harness.expectResponse()
        #expect(response.status == 504)
        #expect(response.header("retry-after") != nil)
        #expect(response.bodyText.contains("after 3 attempts"))
        for call in harness.upstream.calls {
            #expect(response.bodyText.contains(call.origin.host.replacingOccurrences(of: ".upstream.test", with: "")))
        }
        // No secret in the client's answer or the log.
        #expect(!response.bodyText.contains("secret"))
        #expect(!harness.logs.messages.joined().contains("secret"))
    }

    @Test("SPEC 4: four accounts failing fast (refused, reset, 500, 503) do not use up the default 3 attempts; the healthy fifth answers")
    func faultsNeverFailTheClientWhileAHealthyAccountRemains() throws {
        let accounts = (1...5).map { Account.test("acc-\($0)") }
        let harness = try RequestPathHarness(accounts: accounts) { $0.routing.strategy = .fillFirst }
        try harness.post("/v1/chat/completions", body: RequestPathHarness.chat(Self.model))
        let faults: [(ScriptedCall) -> Void] = [
            { $0.fail(.connectFailed(origin: $0.origin, underlying: "connection refused")) },
            { $0.fail(.connectionReset(beforeResponseHead: true)) },
            { $0.answer(.internalServerError, body: #"{"error":{"message":"internal error"}}"#) },
            { $0.answer(.serviceUnavailable, body: #"{"error":{"message":"overloaded"}}"#) },
        ]
        for fault in faults { fault(try #require(harness.upstream.last)) }
        #expect(harness.upstream.calls.count == 5)
        try #require(harness.upstream.last).answer(.ok, body: "{}")
        let response = try harness.expectResponse()
        #expect(response.status == 200)
        let attempts = try #require(try harness.requestLog().first?["attempts"] as? [[String: Any]])
        #expect(attempts.count == 5)
        #expect(attempts.last?["outcome"] as? String == "ok")
    }

    @Test("a pool that is down everywhere: one request tries at most 16 accounts, then 502 with Retry-After")
    func faultsBoundedPerRequest() throws {
        let accounts = (1...20).map { Account.test("acc-\($0)") }
        let harness = try RequestPathHarness(accounts: accounts)
        try harness.post("/v1/chat/completions", body: RequestPathHarness.chat(Self.model))
        while let call = harness.upstream.last, call.isOpen {
            call.answer(.badGateway, body: "bad gateway")
        }
        #expect(harness.upstream.calls.count == 16)
        let response = try harness.expectResponse()
        #expect(response.status == 502)
        #expect(response.header("retry-after") != nil)
        #expect(response.bodyText.contains("after 16 attempts"))
    }

    @Test("401: the refresher is asked to renew that account's token, and the next account answers")
    func authFailure() throws {
        let harness = try Self.twoAccounts()
        try harness.post("/v1/chat/completions", body: RequestPathHarness.chat(Self.model))
        try #require(harness.upstream.last).answer(
            .unauthorized, body: #"{"error":{"message":"Incorrect API key provided","code":"invalid_api_key"}}"#)
        try #require(harness.upstream.last).answer(.ok, body: "{}")
        #expect(try harness.expectResponse().status == 200)
        #expect(harness.renewalsAsked == ["acc-a"])
    }

    @Test("the upstream fails in the middle of the answer: the client connection is closed, not given a truncated success")
    func brokenStream() throws {
        let harness = try Self.twoAccounts()
        let call = try harness.startStream(firstEvent: "data: {\"n\":1}\n\n")
        call.fail(.connectionReset(beforeResponseHead: false))
        #expect(harness.upstream.calls.count == 1)  // no second attempt once bytes reached the client
        #expect(!harness.isClientConnectionOpen)
        let soFar = try harness.receivedSoFar()
        #expect(soFar.contains("data: {\"n\":1}"))
        #expect(!soFar.hasSuffix("0\r\n\r\n"))  // no closing chunk: the client sees the cut
        let record = try #require(try harness.requestLog().first)
        let attempts = try #require(record["attempts"] as? [[String: Any]])
        #expect(attempts.last?["outcome"] as? String == "broken_stream")
    }

    @Test("base_urls: a refused connection tries the account's next base URL before any other account")
    func nextBaseURL() throws {
        var mirrored = Account.test("acc-a", baseURL: "http://primary.upstream.test:8080")
        mirrored.baseURLs = ["http://primary.upstream.test:8080", "http://mirror.upstream.test:9090/v1"]
        let harness = try RequestPathHarness(accounts: [mirrored, .test("acc-b")]) { $0.routing.strategy = .fillFirst }
        try harness.post("/v1/chat/completions", body: RequestPathHarness.chat(Self.model))
        let first = try #require(harness.upstream.last)
        first.fail(.connectFailed(origin: first.origin, underlying: "connection refused"))
        let second = try #require(harness.upstream.last)
        #expect(second.origin.host == "mirror.upstream.test")
        #expect(second.origin.port == 9090)
        #expect(second.uri == "/v1/chat/completions")
        #expect(second.header("authorization") == "Bearer sk-acc-a-secret-0001")
        second.answer(.ok, body: "{}")
        #expect(try harness.expectResponse().status == 200)
        #expect(try harness.requestLog().first?["account"] as? String == "acc-a")
        #expect(harness.logs.messages.contains { $0.contains("of acc-a failed") && $0.contains("mirror.upstream.test") })
    }
}
