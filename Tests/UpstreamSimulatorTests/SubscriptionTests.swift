import Foundation
import Testing
import UpstreamSimulator

@Suite("Subscription windows")
struct SubscriptionTests {
    static func configuration(style: SubscriptionPlan.Style) -> SimulatorConfiguration {
        SimulatorConfiguration(keys: [
            SimulatedKey(
                key: "sub-1",
                subscription: SubscriptionPlan(
                    style: style, fiveHour: SubscriptionPlan.Window(limit: 4, seconds: 18_000),
                    sevenDay: SubscriptionPlan.Window(limit: 100, seconds: 604_800))),
            SimulatedKey(key: "plain"),
        ])
    }

    static let message = #"{"model":"claude-sonnet-4-5","max_tokens":1,"messages":[{"role":"user","content":"hi"}]}"#
    static let chat = #"{"model":"gpt-5","messages":[{"role":"user","content":"hi"}]}"#

    @Test("Anthropic style: unified headers drain with use; a used-up 5-hour window answers 429 rejected until it ends")
    func anthropicHeadersDrainAndReject() async throws {
        try await SimulatorHarness.with(Self.configuration(style: .anthropic)) { sim in
            let headers = [("x-api-key", "sub-1"), ("anthropic-version", "2023-06-01")]
            let first = try await sim.send(.POST, "/v1/messages", headers: headers, body: Self.message)
            #expect(first.status == 200)
            #expect(first.header("anthropic-ratelimit-unified-5h-utilization") == "0.25")
            #expect(first.header("anthropic-ratelimit-unified-7d-utilization") == "0.01")
            let reset = Int(sim.clock.now.timeIntervalSince1970) + 18_000
            #expect(first.header("anthropic-ratelimit-unified-5h-reset") == String(reset))
            #expect(first.header("anthropic-ratelimit-unified-status") == "allowed")
            for _ in 0..<3 { _ = try await sim.send(.POST, "/v1/messages", headers: headers, body: Self.message) }
            let refused = try await sim.send(.POST, "/v1/messages", headers: headers, body: Self.message)
            #expect(refused.status == 429)
            #expect(refused.header("anthropic-ratelimit-unified-status") == "rejected")
            #expect(refused.header("anthropic-ratelimit-unified-5h-status") == "rejected")
            #expect(refused.json?["error"]?["type"] == "rate_limit_error")

            let usage = try await sim.send(.GET, "/api/oauth/usage", headers: [("authorization", "Bearer sub-1")])
            #expect(usage.status == 200)
            #expect(usage.json?["five_hour"]?["utilization"]?.doubleValue == 100)
            #expect(usage.json?["seven_day"]?["utilization"]?.doubleValue == 4)

            sim.clock.advance(by: 18_001)
            let idle = try await sim.send(.GET, "/api/oauth/usage", headers: [("authorization", "Bearer sub-1")])
            #expect(idle.json?["five_hour"] == .null)
            #expect(try await sim.send(.POST, "/v1/messages", headers: headers, body: Self.message).status == 200)
        }
    }

    @Test("Codex style: x-codex headers, usage_limit_reached with resets_at, wham usage")
    func codexHeadersAndBody() async throws {
        try await SimulatorHarness.with(Self.configuration(style: .codex)) { sim in
            let headers = [("authorization", "Bearer sub-1")]
            let first = try await sim.send(.POST, "/v1/chat/completions", headers: headers, body: Self.chat)
            #expect(first.status == 200)
            #expect(first.header("x-codex-primary-used-percent") == "25")
            #expect(first.header("x-codex-primary-window-minutes") == "300")
            #expect(first.header("x-codex-secondary-window-minutes") == "10080")
            let admin = try await sim.send(.POST, "/admin/keys/sub-1/subscription", body: #"{"five_hour":{"used":4}}"#)
            #expect(admin.status == 200)
            let refused = try await sim.send(.POST, "/v1/chat/completions", headers: headers, body: Self.chat)
            #expect(refused.status == 429)
            #expect(refused.json?["error"]?["type"] == "usage_limit_reached")
            let reset = Int(sim.clock.now.timeIntervalSince1970) + 18_000
            #expect(refused.json?["error"]?["resets_at"]?.doubleValue == Double(reset))

            let usage = try await sim.send(.GET, "/backend-api/wham/usage", headers: headers)
            #expect(usage.json?["rate_limit"]?["primary_window"]?["used_percent"]?.doubleValue == 100)
            #expect(usage.json?["rate_limit"]?["primary_window"]?["limit_window_seconds"]?.doubleValue == 18_000)
            #expect(usage.json?["rate_limit"]?["limit_reached"] == true)

            #expect(try await sim.send(.POST, "/admin/keys/sub-1/subscription", body: #"{"five_hour":{"reset":true}}"#).status == 200)
            #expect(try await sim.send(.POST, "/v1/chat/completions", headers: headers, body: Self.chat).status == 200)
        }
    }

    @Test("Keys without a subscription: no subscription headers, usage 404; bad updates are refused")
    func plainKeys() async throws {
        try await SimulatorHarness.with(Self.configuration(style: .anthropic)) { sim in
            let plain = try await sim.send(.POST, "/v1/chat/completions", headers: [("authorization", "Bearer plain")], body: Self.chat)
            #expect(plain.status == 200)
            #expect(plain.header("anthropic-ratelimit-unified-5h-utilization") == nil)
            #expect(try await sim.send(.GET, "/api/oauth/usage", headers: [("authorization", "Bearer plain")]).status == 404)
            #expect(try await sim.send(.GET, "/api/oauth/usage", headers: [("authorization", "Bearer nobody")]).status == 401)
            #expect(try await sim.send(.POST, "/api/oauth/usage", headers: [("authorization", "Bearer sub-1")]).status == 405)
            #expect(try await sim.send(.POST, "/admin/keys/sub-1/subscription", body: #"{"five_hour":{"used":9}}"#).status == 400)
        }
    }
}
