import Foundation
import NIOCore
import NIOHTTP1
import QuotaCore
import QuotaTestSupport
import QuotaUpstream
import Testing

@testable import QuotaProxyServer

/// Quota and rate-limit headers on answers change routing at once (SPEC 2.6), with the times
/// they name measured on the harness's clock.
@Suite("Request path: live quota")
struct LiveQuotaPathTests {
    static let model = "gpt-4o-mini"

    static func harness() throws -> RequestPathHarness {
        try RequestPathHarness(accounts: [.test("acc-a"), .test("acc-b")]) { $0.routing.strategy = .fillFirst }
    }

    /// One request answered 200 with `headers`; returns the account's host that served it.
    @discardableResult
    static func serve(_ harness: RequestPathHarness, headers: [(String, String)] = []) throws -> String {
        try harness.post("/v1/chat/completions", body: RequestPathHarness.chat(model))
        let call = try #require(harness.upstream.last)
        call.answer(.ok, headers: headers, body: "{}")
        #expect(try harness.expectResponse().status == 200)
        return call.origin.host
    }

    /// A Codex-style 5-hour quota window with `used` percent used, resetting in an hour.
    static func codexWindow(used: Int) -> [(String, String)] {
        [
            ("x-codex-primary-used-percent", String(used)), ("x-codex-primary-window-minutes", "300"),
            ("x-codex-primary-reset-after-seconds", "3600"),
        ]
    }

    @Test("a rate limit at 0 on a successful answer paces the account until its reset; then it serves again")
    func pacedByHeaders() throws {
        let harness = try Self.harness()
        let limit = [
            ("x-ratelimit-limit-requests", "60"), ("x-ratelimit-remaining-requests", "0"), ("x-ratelimit-reset-requests", "20s"),
        ]
        #expect(try Self.serve(harness, headers: limit) == "acc-a.upstream.test")
        #expect(harness.blockedUntil("acc-a", group: Self.model) == harness.clock.now.addingTimeInterval(20))
        #expect(try Self.serve(harness) == "acc-b.upstream.test")
        harness.clock.advance(by: 19)
        #expect(try Self.serve(harness) == "acc-b.upstream.test")
        harness.clock.advance(by: 2)
        #expect(try Self.serve(harness) == "acc-a.upstream.test")
    }

    @Test("a quota window at the threshold protects the account's group at once (Quota Protection, live)")
    func protectedByHeaders() throws {
        let harness = try Self.harness()
        try Self.serve(harness, headers: Self.codexWindow(used: 95))
        let account = try #require(harness.routing.account(id: "acc-a"))
        #expect(account.protectedModels == [Self.model])
        let window = try #require(account.quota.windows.first { $0.kind == .quota })
        #expect(window.percentage == 5)
        #expect(window.resetTime == harness.clock.now.addingTimeInterval(3600))
        #expect(harness.logs.messages.contains { $0.contains("(live)") })

        #expect(try Self.serve(harness) == "acc-b.upstream.test")
        // The window is queued for the batched write, not written on the request path.
        #expect(harness.routing.pendingQuota["acc-a"] != nil)
    }

    @Test("a quota window above the threshold changes nothing in routing")
    func notProtectedAboveThreshold() throws {
        let harness = try Self.harness()
        try Self.serve(harness, headers: Self.codexWindow(used: 50))
        #expect(harness.routing.account(id: "acc-a")?.protectedModels == [])
        #expect(try Self.serve(harness) == "acc-a.upstream.test")
    }
}
