import Foundation
import QuotaControl
import QuotaCore
import QuotaState
import QuotaTestSupport
import Testing
import UpstreamSimulator

/// The refresher polling the subscription usage endpoints (SPEC 2.6), and `quota-proxyctl quota`
/// showing the windows.
@Suite("Subscription usage sources", .serialized)
struct UsageSourceTests {
    static func plan(_ style: SubscriptionPlan.Style, used: Int) -> SubscriptionPlan {
        SubscriptionPlan(
            style: style, fiveHour: SubscriptionPlan.Window(limit: 20, used: used, seconds: 18_000, startedAt: Date()),
            sevenDay: SubscriptionPlan.Window(limit: 1000, used: 100, seconds: 604_800, startedAt: Date()))
    }

    @Test func anthropicAndCodexUsageBecomeAccountWindowsAndProtect() async throws {
        let env = try await StackEnvironment.start(
            simulator: SimulatorConfiguration(keys: [
                SimulatedKey(key: "sk-claude-oauth-01", subscription: Self.plan(.anthropic, used: 19)),
                SimulatedKey(key: "sk-codex-oauth-001", subscription: Self.plan(.codex, used: 4)),
            ]),
            services: ["refresher"]
        ) { url in
            [
                Account(
                    id: "claude", provider: .anthropic, baseURL: url, credentials: .apiKey("sk-claude-oauth-01"),
                    quotaSource: QuotaSource(kind: .anthropicUsage, url: url), models: ["claude-sonnet-4-5"]),
                Account(
                    id: "codex", provider: .openai, baseURL: url, credentials: .apiKey("sk-codex-oauth-001"),
                    quotaSource: QuotaSource(kind: .codexUsage, url: url), models: ["gpt-5"]),
            ]
        }
        let refreshed = await env.eventually {
            try env.account("claude")?.quota.lastUpdated != nil && env.account("codex")?.quota.lastUpdated != nil
        }
        #expect(refreshed, "\(env.log("refresher"))")

        let claude = try #require(try env.account("claude"))
        let fiveHour = try #require(claude.quota.windows.first { $0.windowSeconds == 18_000 })
        #expect(fiveHour.scope == .account && fiveHour.kind == .quota && fiveHour.source == .anthropicUsage)
        #expect(fiveHour.percentage == 5)
        #expect(claude.quota.windows.first { $0.windowSeconds == 604_800 }?.percentage == 90)
        #expect(claude.quota.models.map(\.name) == ["claude-sonnet-4-5"])
        #expect(claude.protectedModels == ["claude-sonnet-4-5"], "5% of the 5-hour window is under the threshold")
        let requests = try await env.simulatorState.stats(forKey: "sk-claude-oauth-01")
        #expect(requests.byPath["/api/oauth/usage"] == 1)
        #expect(requests.lastRequest?.headers["anthropic-beta"] == "oauth-2025-04-20")

        let codex = try #require(try env.account("codex"))
        #expect(codex.quota.windows.first { $0.windowSeconds == 18_000 }?.percentage == 80)
        #expect(codex.quota.windows.allSatisfy { $0.source == .codexUsage && $0.scope == .account })
        #expect(codex.protectedModels.isEmpty)

        // quota-proxyctl quota shows each window and which one protection acts on.
        let ctl = try ServiceProcess(
            "quota-proxyctl", arguments: ["quota", "--state-dir", env.statePath, "--config", env.dir.path + "/config.json"],
            logDirectory: env.dir.path)
        #expect(await ctl.waitForExit() == 0)
        let table = ctl.standardOutput
        #expect(table.contains("Quota windows"), "\(table)")
        #expect(table.contains("5h") && table.contains("7d") && table.contains("anthropic_usage"), "\(table)")
        #expect(table.contains("protection (claude-sonnet-4-5)"), "\(table)")
        let json = try ServiceProcess(
            "quota-proxyctl", arguments: ["quota", "--json", "--account", "claude", "--state-dir", env.statePath],
            logDirectory: env.dir.path)
        #expect(await json.waitForExit() == 0)
        let parsed = try JSONDecoder().decode(QuotaCore.JSONValue.self, from: Data(json.standardOutput.utf8))
        let windows = parsed.arrayValue?.first?["windows"]?.arrayValue ?? []
        #expect(windows.count == 2)
        #expect(windows.first { $0["window"] == "5h" }?["protection_for"] == .array(["claude-sonnet-4-5"]))
        await env.stop()
    }
}
