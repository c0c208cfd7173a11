import Foundation
import QuotaControl
import QuotaCore
import QuotaState
import QuotaTestSupport
import Testing
import UpstreamSimulator

/// The two scenes of the quota-windows issue, end to end (SPEC 2.6): per-minute rate limits pace
/// and never protect or restart warmups; a 5-hour subscription window protects at once.
@Suite("Quota windows end to end", .serialized)
struct QuotaWindowEndToEndTests {
    /// Scene 1: an antigravity account polled at 100% gets one warmup; its answer carries
    /// `x-ratelimit-remaining-requests: 90` of 100 (reset 6m0s). That is a rate limit: the model
    /// stays at 100%, a manual warmup reports the cooldown, scans keep the history entry, and the
    /// next poll at 100% does not bring a second warmup.
    @Test func aWarmupAnswersPerMinuteHeadersDoNotRestartTheWarmupLoop() async throws {
        let key = "sk-antigravity-001"
        let env = try await StackEnvironment.start(
            simulator: SimulatorConfiguration(keys: [
                SimulatedKey(key: key, models: ["gemini-3-flash": SimQuota(limit: 100, remaining: 91, resetSeconds: 360)])
            ]),
            services: ["proxy", "scheduler"],
            config: #"{"listen": {"port": 0}, "client_api_keys": ["k"]}"#
        ) { url in
            [
                Account(
                    id: "ag", provider: .openai, baseURL: url, credentials: .apiKey(key),
                    quotaSource: QuotaSource(kind: .antigravity, url: url),
                    quota: AccountQuota(
                        models: [ModelQuota(name: "gemini-3-flash", percentage: 100, resetTime: Date().addingTimeInterval(5 * 3600))],
                        lastUpdated: Date()))
            ]
        }
        let scans = { env.log("scheduler").split(separator: "\n").filter { $0.contains(" scan: ") }.map(String.init) }
        #expect(await env.eventually(timeout: .seconds(20)) { scans().count == 1 }, "\(env.log("scheduler").suffix(1500))")
        #expect(scans()[0].contains("warmed=1"), "\(scans()[0])")
        #expect(try await env.simulatorState.stats(forKey: key).requests == 1)

        // The proxy writes what the warmup's answer said: a 1-minute rate limit at 90%.
        let flushed = await env.eventually {
            try env.account("ag")?.quota.windows.contains { $0.kind == .rateLimit && $0.percentage == 90 } == true
        }
        #expect(flushed, "\(String(describing: try? env.account("ag")?.quota))")
        let account = try #require(try env.account("ag"))
        #expect(account.quota.models.map(\.percentage) == [100], "quota.models shows the quota window, not the rate limit")

        let manual = try await env.control("scheduler").send("warmup")
        #expect(manual["message"] == "All models are in cooldown, skipped 1 items")

        // The next poll says 100% again (written as the refresher writes it); scans keep the entry.
        var polled = account
        polled.quota = QuotaMerge.applying(
            windows: [
                QuotaWindow(
                    kind: .quota, scope: .model, model: "gemini-3-flash", windowSeconds: nil, percentage: 100,
                    resetTime: Date().addingTimeInterval(5 * 3600), source: .antigravity, observedAt: Date())
            ], source: .antigravity, to: polled.quota, knownModels: [], now: Date())
        try env.state.accounts.save(polled)
        for scan in 2...3 {
            _ = try await env.control("scheduler").send("scan")
            #expect(await env.eventually { scans().count == scan })
            #expect(scans()[scan - 1].contains("warmed=0") && scans()[scan - 1].contains("cooldown=1"), "\(scans()[scan - 1])")
        }
        #expect(try env.state.warmupHistory.read()?.entries.keys.sorted() == ["ag:gemini-3-flash:100"])
        #expect(try await env.simulatorState.stats(forKey: key).requests == 1, "one warmup for the window")
        await env.stop()
    }

    /// Scene 2: an API-key account's per-minute limit drains. At 10% (the threshold) nothing is
    /// protected; at 0 the account is paced until the reset, so the next request goes to another
    /// account instead of earning a 429.
    @Test func aDrainingPerMinuteLimitPacesButNeverProtects() async throws {
        let env = try await ProxyEnvironment.start(
            keys: [
                SimulatedKey(key: "sk-minute-0000001", models: ["gpt-4o-mini": SimQuota(limit: 10, remaining: 2, resetSeconds: 60)]),
                SimulatedKey(key: "sk-spare-00000001"),
            ],
            config: ["routing": ["strategy": "fill-first"]]
        ) { url in
            [.simulated("minute", key: "sk-minute-0000001", baseURL: url), .simulated("spare", key: "sk-spare-00000001", baseURL: url)]
        }
        #expect(try await env.chat(model: "gpt-4o-mini").status == 200)  // 1 of 10 left: 10%
        #expect(try await env.chat(model: "gpt-4o-mini").status == 200)  // still "minute": 0 of 10 left
        #expect(try await env.requests(to: "sk-minute-0000001") == 2, "a rate limit at the threshold must not protect")
        #expect(try await env.chat(model: "gpt-4o-mini").status == 200)
        #expect(try await env.requests(to: "sk-minute-0000001") == 2, "paced: no request that would earn a 429")
        #expect(try await env.requests(to: "sk-spare-00000001") == 1)

        let cooldowns = try await env.control.send("cooldowns")["cooldowns"]?.arrayValue ?? []
        #expect(cooldowns.count == 1)
        #expect(cooldowns.first?["account"] == "minute")
        #expect(cooldowns.first?["reason"] == "paced")
        #expect((cooldowns.first?["seconds_left"]?.doubleValue ?? 0) <= 61)

        let store = StateDirectory(path: env.statePath).accounts
        let persisted = await env.eventually {
            guard case .success(let account?) = store.load(id: "minute") else { return false }
            return account.quota.windows.contains { $0.kind == .rateLimit && $0.percentage == 0 && $0.model == "gpt-4o-mini" }
        }
        #expect(persisted)
        if case .success(let account?) = store.load(id: "minute") {
            #expect(account.protectedModels.isEmpty)
            #expect(account.quota.models.isEmpty, "a rate limit is not quota")
        }
        #expect(!env.process.standardError.contains("protected gpt-4o-mini"))
        await env.stop()
    }

    /// A live quota signal still protects at once: the unified 5-hour utilization header.
    @Test func aFiveHourUtilizationHeaderProtectsAtOnce() async throws {
        let plan = SubscriptionPlan(
            style: .anthropic, fiveHour: SubscriptionPlan.Window(limit: 20, used: 17, seconds: 18_000, startedAt: Date()),
            sevenDay: SubscriptionPlan.Window(limit: 1000, seconds: 604_800))
        let env = try await ProxyEnvironment.start(
            keys: [SimulatedKey(key: "sk-claude-max-001", subscription: plan), SimulatedKey(key: "sk-other-00000001")],
            config: ["routing": ["strategy": "fill-first"]]
        ) { url in
            [.simulated("max", key: "sk-claude-max-001", baseURL: url), .simulated("other", key: "sk-other-00000001", baseURL: url)]
        }
        // 18 of 20 used after this request: 10% left of the 5-hour window, at the threshold.
        #expect(try await env.chat(model: "claude-sonnet-4-5").status == 200)
        #expect(try await env.chat(model: "claude-sonnet-4-5-thinking").status == 200)
        #expect(try await env.requests(to: "sk-claude-max-001") == 1)
        #expect(try await env.requests(to: "sk-other-00000001") == 1)
        let store = StateDirectory(path: env.statePath).accounts
        let persisted = await env.eventually {
            guard case .success(let account?) = store.load(id: "max") else { return false }
            return account.protectedModels == ["claude-sonnet-4-5"]
                && account.quota.model(named: "claude-sonnet-4-5")?.percentage == 10
                && account.quota.windows.contains { $0.scope == .account && $0.windowSeconds == 18_000 }
        }
        #expect(persisted)
        #expect(env.process.standardError.contains("protected claude-sonnet-4-5 on max (10% <= 10%) (live)"))
        await env.stop()
    }

    /// A 429 whose per-minute window is at 0 paces the account until the window resets; the
    /// request log records that attempt as `paced`, apart from other rate limits.
    @Test func aRateLimit429WithItsWindowAtZeroIsLoggedAsPaced() async throws {
        let env = try await ProxyEnvironment.start(
            keys: [
                SimulatedKey(
                    key: "sk-drained-000001", models: ["gpt-4o-mini": SimQuota(limit: 10, remaining: 0, resetSeconds: 60)],
                    fault: Fault(mode: .rateLimited, retryAfter: 30)),
                SimulatedKey(key: "sk-spare-00000002"),
            ],
            config: ["routing": ["strategy": "fill-first"]]
        ) { url in
            [.simulated("drained", key: "sk-drained-000001", baseURL: url), .simulated("spare", key: "sk-spare-00000002", baseURL: url)]
        }
        #expect(try await env.chat(model: "gpt-4o-mini").status == 200)
        let cooldowns = try await env.control.send("cooldowns")["cooldowns"]?.arrayValue ?? []
        #expect(cooldowns.first { $0["account"] == "drained" }?["reason"] == "paced")
        let logged = await env.eventually {
            let text = (try? String(contentsOfFile: env.statePath + "/requests/requests.jsonl", encoding: .utf8)) ?? ""
            return text.contains(#""account":"drained","duration_ms""#) || text.contains(#""outcome":"paced""#)
        }
        #expect(logged)
        let text = (try? String(contentsOfFile: env.statePath + "/requests/requests.jsonl", encoding: .utf8)) ?? ""
        #expect(text.contains(#""outcome":"paced""#), "\(text)")
        await env.stop()
    }
}
