import Foundation
import QuotaControl
import QuotaCore
import QuotaState
import QuotaTestSupport
import Testing
import UpstreamSimulator

/// Live quota, persistence, account files, control commands, warmup and anonymous minting.
@Suite("Proxy state and control", .serialized)
struct ProxyStateTests {
    @Test func liveQuotaProtectsAtOnceAndIsPersisted() async throws {
        // A quota window (a daily request limit: its reset is hours away) seen in answer headers.
        let env = try await ProxyEnvironment.start(
            keys: [
                SimulatedKey(key: "sk-low-000000001", models: ["claude-sonnet-4-5": SimQuota(limit: 20, remaining: 3, resetSeconds: 7200)]),
                SimulatedKey(key: "sk-high-00000001"),
            ],
            config: ["routing": ["strategy": "fill-first"]]
        ) { url in
            [.simulated("acc-1-low", key: "sk-low-000000001", baseURL: url), .simulated("acc-2-high", key: "sk-high-00000001", baseURL: url)]
        }
        // 3 of 20 left → after this request 2 of 20 = 10%: at the threshold, so protected.
        #expect(try await env.chat(model: "claude-sonnet-4-5").status == 200)
        #expect(try await env.requests(to: "sk-low-000000001") == 1)
        // The next request for the group (even another member) goes elsewhere at once.
        #expect(try await env.chat(model: "claude-sonnet-4-5-thinking").status == 200)
        #expect(try await env.chat(model: "claude-sonnet-4-5").status == 200)
        #expect(try await env.requests(to: "sk-low-000000001") == 1)
        #expect(try await env.requests(to: "sk-high-00000001") == 2)

        // Written to the account file within about a second.
        let store = StateDirectory(path: env.statePath).accounts
        let persisted = await env.eventually {
            guard case .success(let account?) = store.load(id: "acc-1-low") else { return false }
            return account.protectedModels == ["claude-sonnet-4-5"] && account.quota.model(named: "claude-sonnet-4-5")?.percentage == 10
        }
        #expect(persisted)
        await env.stop()
    }

    @Test func accountFilesArePickedUpWithoutRestart() async throws {
        let env = try await ProxyEnvironment.start(keys: [SimulatedKey(key: "sk-first-0000001"), SimulatedKey(key: "sk-second-000001")]) { url in
            [.simulated("first", key: "sk-first-0000001", baseURL: url, models: ["gpt-4o-mini"])]
        }
        #expect(try await env.chat(model: "gemini-3-flash").status == 404)
        try ProxyEnvironment.write(
            .simulated("second", key: "sk-second-000001", baseURL: env.simulatorURL, models: ["gemini-3-flash"]), to: env.statePath)
        _ = try await env.control.send("reload")
        #expect(try await env.chat(model: "gemini-3-flash").status == 200)

        // Removing the file takes the account out (found by the periodic check, no poke).
        try FileManager.default.removeItem(atPath: env.statePath + "/accounts/second.json")
        let gone = await env.eventually { (try? await env.chat(model: "gemini-3-flash").status) == 404 }
        #expect(gone, "proxy log:\n\(env.process.standardError.suffix(3000))")
        await env.stop()
    }

    @Test func controlCommandsShowAndClearState() async throws {
        let env = try await ProxyEnvironment.start(
            keys: [SimulatedKey(key: "sk-control-00001", fault: Fault(mode: .rateLimited, retryAfter: 120))]
        ) { url in
            [.simulated("acc-c", key: "sk-control-00001", baseURL: url)]
        }
        let accounts = try await env.control.send("accounts")
        let listed = try #require(accounts["accounts"]?.arrayValue?.first)
        #expect(listed["id"] == "acc-c")
        #expect(listed["secret"]?.stringValue == "sk-c…0001")
        let raw = String(describing: accounts)
        #expect(!raw.contains("sk-control-00001"), "the secret never appears in control output")

        #expect(try await env.chat(model: "gpt-4o-mini").status == 429)
        var cooldowns = try await env.control.send("cooldowns")["cooldowns"]?.arrayValue ?? []
        #expect(cooldowns.count == 1)
        #expect(cooldowns.first?["reason"] == "rate_limited")
        #expect((cooldowns.first?["seconds_left"]?.doubleValue ?? 0) > 100)

        _ = try await env.control.send("clear-cooldown", arguments: ["account": "acc-c"])
        cooldowns = try await env.control.send("cooldowns")["cooldowns"]?.arrayValue ?? []
        #expect(cooldowns.isEmpty)
        do {
            _ = try await env.control.send("clear-cooldown", arguments: ["account": "nope"])
            Issue.record("expected not_found")
        } catch {
            #expect("\(error)".contains("nope"))
        }
        await env.stop()
    }

    @Test func warmupIsPinnedToTheAccountAndBypassesProtection() async throws {
        let env = try await ProxyEnvironment.start(keys: [SimulatedKey(key: "sk-warm-00000001"), SimulatedKey(key: "sk-other-0000001")]) { url in
            [
                .simulated("warm", key: "sk-warm-00000001", baseURL: url, protectedModels: ["gemini-3-flash"]),
                .simulated("other", key: "sk-other-0000001", baseURL: url),
            ]
        }
        let result = try await env.control.send("warmup", arguments: ["account": "warm", "model": "gemini-3-flash"], timeout: .seconds(30))
        #expect(result["status"] == 200)
        let stats = try await env.simulatorState.stats(forKey: "sk-warm-00000001")
        #expect(stats.requests == 1)
        #expect(stats.lastRequest?.body.contains(#""max_tokens":1"#) == true)
        #expect(try await env.requests(to: "sk-other-0000001") == 0)

        try await env.simulatorState.setFault(Fault(mode: .quotaExhausted), forKey: "sk-warm-00000001")
        do {
            _ = try await env.control.send("warmup", arguments: ["account": "warm", "model": "gemini-3-flash"], timeout: .seconds(30))
            Issue.record("expected the upstream's refusal")
        } catch {
            #expect("\(error)".contains("429"))
        }
        do {
            _ = try await env.control.send("warmup", arguments: ["account": "ghost", "model": "x"])
            Issue.record("expected not found")
        } catch {
            #expect("\(error)".contains("ghost"))
        }
        await env.stop()
    }

    @Test func anonymousMintingAddsAFallbackAccountAndIsRateLimited() async throws {
        let env = try await ProxyEnvironment.start(
            keys: [SimulatedKey(key: "sk-primary-mint1", fault: Fault(mode: .quotaExhausted))],
            config: ["anonymous": ["mint_url": "{{SIM}}/anonymous/mint"]]
        ) { url in
            [.simulated("primary", key: "sk-primary-mint1", baseURL: url)]
        }
        let first = try await env.chat(model: "gpt-4o-mini")
        #expect(first.status == 200, "\(first.body)")
        #expect(await env.simulatorState.counterValues().mintCalls == 1)
        let files = try FileManager.default.contentsOfDirectory(atPath: env.statePath + "/accounts").filter { $0.hasPrefix("anon-") }
        #expect(files.count == 1)
        let minted = try #require(try StateDirectory(path: env.statePath).accounts.file(for: String(files[0].dropLast(5))).read())
        #expect(minted.tier == .fallback)
        // A successful mint clears both limits (SPEC 2.2).
        let limits = try #require(try StateDirectory(path: env.statePath).anonymous.read())
        #expect(limits == AnonymousMintState())

        // The minted account keeps serving while the primary cools down; no second mint.
        #expect(try await env.chat(model: "gpt-4o-mini").status == 200)
        #expect(await env.simulatorState.counterValues().mintCalls == 1)

        // The mint endpoint answers 429: the client gets a quota error, and no attempt follows for an hour.
        try await env.simulatorState.setMintConfiguration(MintConfiguration(failCount: 1, retryAfter: 3600))
        try await env.simulatorState.setFault(Fault(mode: .quotaExhausted), forKey: minted.credentials.bearerSecret)
        #expect(try await env.chat(model: "gpt-4o-mini").status == 429)
        #expect(await env.simulatorState.counterValues().mintCalls == 2)
        let afterRefusal = try #require(try StateDirectory(path: env.statePath).anonymous.read())
        let cooldownUntil = try #require(afterRefusal.cooldownUntil)
        #expect(cooldownUntil.timeIntervalSinceNow > 3500 && cooldownUntil.timeIntervalSinceNow <= 3600)
        #expect(afterRefusal.lastAttempt != nil)
        #expect(try await env.chat(model: "gpt-4o-mini").status == 429)
        #expect(await env.simulatorState.counterValues().mintCalls == 2, "no mint within the hour after a 429")
        await env.stop()
    }
}

/// Fixing a wrong key (issue 15): a changed credential ends the account's auth-failure cooldown,
/// whether the file is edited in place or removed and added again.
@Suite("Credential changes")
struct CredentialChangeTests {
    @Test func fixingAWrongKeyEndsTheAuthCooldown() async throws {
        let good = "sk-right-key-0001"
        let env = try await ProxyEnvironment.start(keys: [SimulatedKey(key: good)]) { url in
            [.simulated("acc", key: "sk-wrong-key-0001", baseURL: url, models: ["gpt-4o-mini"])]
        }
        #expect(try await env.chat(model: "gpt-4o-mini").status != 200)
        // The account now waits in an auth-failure cooldown.
        #expect(try await env.chat(model: "gpt-4o-mini").status == 429)

        // Removed, then added again with the right key: served at once, no clear-cooldown.
        try FileManager.default.removeItem(atPath: env.statePath + "/accounts/acc.json")
        _ = try await env.control.send("reload")
        try ProxyEnvironment.write(.simulated("acc", key: good, baseURL: env.simulatorURL, models: ["gpt-4o-mini"]), to: env.statePath)
        _ = try await env.control.send("reload")
        #expect(try await env.chat(model: "gpt-4o-mini").status == 200)

        // Broken again, then fixed in place.
        try ProxyEnvironment.write(
            .simulated("acc", key: "sk-wrong-key-0002", baseURL: env.simulatorURL, models: ["gpt-4o-mini"]), to: env.statePath)
        _ = try await env.control.send("reload")
        #expect(try await env.chat(model: "gpt-4o-mini").status != 200)
        #expect(try await env.chat(model: "gpt-4o-mini").status == 429)
        try ProxyEnvironment.write(.simulated("acc", key: good, baseURL: env.simulatorURL, models: ["gpt-4o-mini"]), to: env.statePath)
        _ = try await env.control.send("reload")
        #expect(try await env.chat(model: "gpt-4o-mini").status == 200, "proxy log:\n\(env.process.standardError.suffix(3000))")
        await env.stop()
    }
}
