import Foundation
import Glibc
import QuotaControl
import QuotaCore
import QuotaState
import QuotaTestSupport
import Testing
import UpstreamSimulator

/// Smart Warmup end to end: scheduler → proxy → simulator.
@Suite("Smart Warmup scheduler", .serialized)
struct SchedulerTests {
    static func account(_ id: String, key: String, url: String, percentage: Double, kind: QuotaSource.Kind = .antigravity, disabled: Bool = false) -> Account {
        Account(
            id: id, provider: .openai, baseURL: url, credentials: .apiKey(key),
            quotaSource: kind == .headers ? .headers : QuotaSource(kind: kind, url: url),
            quota: AccountQuota(
                models: [ModelQuota(name: "gemini-3-flash", percentage: percentage, resetTime: Date().addingTimeInterval(3600))],
                lastUpdated: Date()),
            disabled: disabled)
    }

    static let keys = ["sk-full-00000001", "sk-partial-00001", "sk-rolling-00001", "sk-disabled-0001"]

    static func start(services: [String], config: String = #"{"listen": {"port": 0}, "client_api_keys": ["k"]}"#) async throws
        -> StackEnvironment
    {
        try await StackEnvironment.start(
            simulator: SimulatorConfiguration(keys: keys.map { SimulatedKey(key: $0) }),
            services: services,
            config: config
        ) { url in
            [
                Self.account("full", key: keys[0], url: url, percentage: 100),
                Self.account("partial", key: keys[1], url: url, percentage: 99),
                Self.account("rolling", key: keys[2], url: url, percentage: 100, kind: .headers),
                Self.account("off", key: keys[3], url: url, percentage: 100, disabled: true),
            ]
        }
    }

    func scanLines(_ env: StackEnvironment) -> [String] {
        env.log("scheduler").split(separator: "\n").map(String.init).filter { $0.contains(" scan: ") }
    }

    @Test func aScanWarmsExactlyTheFullWindowedPairsOnceAndRespectsTheCooldown() async throws {
        let env = try await Self.start(services: ["proxy", "scheduler"])
        // The first scan runs a few seconds after start.
        #expect(await env.eventually(timeout: .seconds(20)) { scanLines(env).count == 1 }, "\(env.log("scheduler").suffix(1500))")
        let line = try #require(scanLines(env).first)
        #expect(line.contains("warmed=1") && line.contains("not_full=1") && line.contains("failed=0") && line.contains("next_in=600s"), "\(line)")
        #expect(try await env.simulatorState.stats(forKey: Self.keys[0]).requests == 1)
        let body = try await env.simulatorState.stats(forKey: Self.keys[0]).lastRequest?.body ?? ""
        #expect(body.contains(#""model":"gemini-3-flash""#) && body.contains(#""max_tokens":1"#))
        for key in Self.keys.dropFirst() {
            #expect(try await env.simulatorState.stats(forKey: key).requests == 0, "\(key) must not be warmed")
        }
        let history = try #require(try env.state.warmupHistory.read())
        #expect(history.entries.keys.sorted() == ["full:gemini-3-flash:100"])
        #expect(env.log("scheduler").contains("gemini-3-flash on full"))

        // A second scan inside the 4-hour cooldown sends nothing.
        _ = try await env.control("scheduler").send("scan")
        #expect(await env.eventually { scanLines(env).count == 2 })
        #expect(scanLines(env)[1].contains("warmed=0") && scanLines(env)[1].contains("cooldown=1"), "\(scanLines(env)[1])")
        #expect(try await env.simulatorState.stats(forKey: Self.keys[0]).requests == 1)

        // Manual warmup of all accounts respects the cooldown; of one account it does not.
        let all = try await env.control("scheduler").send("warmup")
        #expect(all["message"] == "All models are in cooldown, skipped 1 items")
        let one = try await env.control("scheduler").send("warmup", arguments: ["account": "full"])
        #expect(one["message"] == "Successfully triggered warmup for 1 models")
        #expect(await env.eventually { (try? await env.simulatorState.stats(forKey: Self.keys[0]).requests) == 2 })
        for (account, message) in [("ghost", "Account not found"), ("off", "Account is disabled")] {
            do {
                _ = try await env.control("scheduler").send("warmup", arguments: ["account": .string(account)])
                Issue.record("expected \(message)")
            } catch {
                #expect("\(error)" == message)
            }
        }
        await env.stop()
    }

    @Test func withoutTheProxyTheScanSaysSoAndRecordsNothing() async throws {
        let env = try await Self.start(services: ["scheduler"])
        #expect(await env.eventually(timeout: .seconds(20)) { scanLines(env).count == 1 })
        #expect(scanLines(env)[0].contains("warmed=0") && scanLines(env)[0].contains("failed=1"), "\(scanLines(env)[0])")
        #expect(env.log("scheduler").contains("needs quota-proxy, which is not running"))
        #expect(try env.state.warmupHistory.read()?.entries.isEmpty ?? true)
        await env.stop()
    }

    @Test func disabledWarmupSaysSoAndAReloadTurnsItOn() async throws {
        let env = try await Self.start(
            services: ["scheduler"], config: #"{"scheduled_warmup": {"enabled": false, "interval_seconds": 600}}"#)
        #expect(await env.eventually(timeout: .seconds(20)) { scanLines(env).count == 1 })
        #expect(scanLines(env)[0].contains("scheduled warmup is disabled"), "\(scanLines(env)[0])")
        try Data(#"{"scheduled_warmup": {"enabled": true}}"#.utf8).write(to: URL(fileURLWithPath: env.dir.path + "/config.json"))
        env.processes["scheduler"]!.signal(SIGHUP)
        #expect(await env.eventually { env.log("scheduler").contains("configuration reloaded") })
        _ = try await env.control("scheduler").send("scan")
        #expect(await env.eventually { scanLines(env).count == 2 })
        #expect(scanLines(env)[1].contains("scan: accounts="), "\(scanLines(env)[1])")
        await env.stop()
    }
}
