import Foundation
import NIOCore
import NIOHTTP1
import QuotaCore
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

    @Test("a rate limit at 0 on a successful answer paces the account until its reset; then it serves again")
    func pacedByHeaders() throws {
        let harness = try Self.harness()
        try harness.post("/v1/chat/completions", body: RequestPathHarness.chat(Self.model))
        try #require(harness.upstream.last).answer(
            .ok,
            headers: [
                ("x-ratelimit-limit-requests", "60"), ("x-ratelimit-remaining-requests", "0"),
                ("x-ratelimit-reset-requests", "20s"),
            ], body: "{}")
        #expect(try harness.expectResponse().status == 200)
        #expect(harness.blockedUntil("acc-a", group: Self.model) == harness.clock.now.addingTimeInterval(20))

        try harness.post("/v1/chat/completions", body: RequestPathHarness.chat(Self.model))
        let paced = try #require(harness.upstream.last)
        #expect(paced.origin.host == "acc-b.upstream.test")
        paced.answer(.ok, body: "{}")
        _ = try harness.expectResponse()

        harness.clock.advance(by: 21)
        try harness.post("/v1/chat/completions", body: RequestPathHarness.chat(Self.model))
        #expect(try #require(harness.upstream.last).origin.host == "acc-a.upstream.test")
    }

    @Test("a quota window at the threshold protects the account's group at once (Quota Protection, live)")
    func protectedByHeaders() throws {
        let harness = try Self.harness()
        try harness.post("/v1/chat/completions", body: RequestPathHarness.chat(Self.model))
        try #require(harness.upstream.last).answer(
            .ok,
            headers: [
                ("x-codex-primary-used-percent", "95"), ("x-codex-primary-window-minutes", "300"),
                ("x-codex-primary-reset-after-seconds", "3600"),
            ], body: "{}")
        #expect(try harness.expectResponse().status == 200)
        let account = try #require(harness.routing.account(id: "acc-a"))
        #expect(account.protectedModels == [Self.model])
        let window = try #require(account.quota.windows.first { $0.kind == .quota })
        #expect(window.percentage == 5)
        #expect(window.resetTime == harness.clock.now.addingTimeInterval(3600))
        #expect(harness.logs.messages.contains { $0.contains("(live)") })

        try harness.post("/v1/chat/completions", body: RequestPathHarness.chat(Self.model))
        #expect(try #require(harness.upstream.last).origin.host == "acc-b.upstream.test")
        // The window is queued for the batched write, not written on the request path.
        #expect(harness.routing.pendingQuota["acc-a"] != nil)
    }

    @Test("a quota window above the threshold changes nothing in routing")
    func notProtectedAboveThreshold() throws {
        let harness = try Self.harness()
        try harness.post("/v1/chat/completions", body: RequestPathHarness.chat(Self.model))
        try #require(harness.upstream.last).answer(
            .ok,
            headers: [
                ("x-codex-primary-used-percent", "50"), ("x-codex-primary-window-minutes", "300"),
                ("x-codex-primary-reset-after-seconds", "3600"),
            ], body: "{}")
        _ = try harness.expectResponse()
        #expect(harness.routing.account(id: "acc-a")?.protectedModels == [])
        try harness.post("/v1/chat/completions", body: RequestPathHarness.chat(Self.model))
        #expect(try #require(harness.upstream.last).origin.host == "acc-a.upstream.test")
    }
}
