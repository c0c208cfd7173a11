import Foundation
import Glibc
import NIOHTTP1
import QuotaControl
import QuotaCore
import QuotaState
import QuotaTestSupport
import Testing
import UpstreamSimulator

/// SIGTERM stops every service promptly (exit 0 within a generous bound), whatever its neighbours
/// are doing: the proxy stopped, running, or in the middle of a warmup the scheduler asked for.
/// Odd files in the state folder never block a service either.
@Suite("Prompt stop and odd state files", .serialized)
struct PromptStopTests {
    /// Exit within this long after SIGTERM once the service has no work left (CI is loaded).
    static let bound: Duration = .seconds(3)
    /// The upstream of the `slow` account answers warmups this late.
    static let slowDelay = 5000

    static let keys = ["sk-life-steady-01", "sk-life-slow-0001"]

    /// A service process with its own NOTIFY_SOCKET, in the shared state and runtime folders.
    struct Running {
        let name: String
        let process: ServiceProcess
        let notify: NotifySocketListener
    }

    static func launch(_ name: String, in env: StackEnvironment) async throws -> Running {
        let notify = try NotifySocketListener(directory: try env.dir.subdirectory("n-\(name)-\(UInt32.random(in: 0...UInt32.max))"))
        let process = try ServiceProcess(
            "quota-" + name,
            arguments: ["--config", env.dir.path + "/config.json", "--state-dir", env.statePath, "--runtime-dir", env.runtimePath],
            environment: ["NOTIFY_SOCKET": notify.path], logDirectory: env.dir.path)
        guard await notify.waitFor("READY=1") != nil else {
            notify.stop()
            throw ProxyEnvironment.EnvironmentError.notReady(process.standardError)
        }
        return Running(name: name, process: process, notify: notify)
    }

    /// SIGTERM, then expects exit 0 within `bound`; returns how long it took.
    @discardableResult
    static func stop(_ running: Running, within bound: Duration = Self.bound, _ situation: String) async -> Duration {
        let started = ContinuousClock.now
        running.process.signal(SIGTERM)
        let status = await running.process.waitForExit(timeout: bound)
        let took = ContinuousClock.now - started
        running.notify.stop()
        #expect(
            status == 0,
            "\(running.name) (\(situation)): \(status.map { "exit \($0)" } ?? "still running \(bound) after SIGTERM"); log:\n\(running.process.standardError.suffix(1500))"
        )
        return took
    }

    /// A windowed account whose quota source never answers (connection refused), so the figures
    /// written here stay as they are while the refresher runs.
    static func account(_ id: String, key: String, url: String, percentage: Double) -> Account {
        Account(
            id: id, provider: .openai, baseURL: url, credentials: .apiKey(key),
            quotaSource: QuotaSource(kind: .quotaURL, url: "http://127.0.0.1:9/quota"),
            quota: AccountQuota(
                models: [ModelQuota(name: "gemini-3-flash", percentage: percentage, resetTime: Date().addingTimeInterval(3600))],
                lastUpdated: Date()))
    }

    static func startStack() async throws -> StackEnvironment {
        let slow = SimulatedKey(
            key: keys[1], fault: Fault(mode: .slow, delayMilliseconds: slowDelay, paths: ["/v1/chat/completions"]))
        return try await StackEnvironment.start(
            simulator: SimulatorConfiguration(keys: [SimulatedKey(key: keys[0]), slow]), services: [],
            config: #"{"listen": {"port": 0}, "client_api_keys": ["k"], "scheduled_warmup": {"monitored_models": ["gemini-3-flash"]}}"#
        ) { url in
            [
                Self.account("steady", key: keys[0], url: url, percentage: 50),
                // At 99% until the mid-warmup phase sets it to 100%.
                Self.account("slow", key: keys[1], url: url, percentage: 99),
            ]
        }
    }

    /// 24 start → SIGTERM cycles over the three services: the proxy stopped, the proxy running
    /// (and itself restarted under the other two), and SIGTERM in the middle of a warmup.
    @Test func everyServiceStopsPromptlyInEveryNeighbourState() async throws {
        let env = try await Self.startStack()
        defer { env.dir.remove() }
        // A temporary file of a writer killed mid-write (a process that is gone) is removed at start.
        let gone = try ServiceProcess("quota-state-stress", arguments: [], logDirectory: env.dir.path)
        _ = await gone.waitForExit()
        let leftover = env.statePath + "/.warmup_history.json.tmp-\(gone.pid)-7"
        try Data("{\"half".utf8).write(to: URL(fileURLWithPath: leftover))

        // 1. The proxy is not running: scheduler and refresher, SIGTERM right after READY=1 or a
        //    little later (in the middle of their first cycle).
        for round in 0..<4 {
            async let scheduler = Self.launch("scheduler", in: env)
            async let refresher = Self.launch("refresher", in: env)
            let (s, r) = try await (scheduler, refresher)
            if round == 0 {
                #expect(!FileManager.default.fileExists(atPath: leftover), "a stale temporary file is removed at start")
                #expect(s.process.standardError.contains(leftover) || r.process.standardError.contains(leftover))
            }
            try await Task.sleep(for: .milliseconds(round * 150))
            async let stoppedS = Self.stop(s, "proxy stopped, round \(round)")
            async let stoppedR = Self.stop(r, "proxy stopped, round \(round)")
            _ = await (stoppedS, stoppedR)
        }

        // 2. The proxy is running: scheduler and refresher come and go; then the proxy comes and
        //    goes under them. Bad account ids are refused on every control socket meanwhile.
        var proxy = try await Self.launch("proxy", in: env)
        for round in 0..<4 {
            async let scheduler = Self.launch("scheduler", in: env)
            async let refresher = Self.launch("refresher", in: env)
            let (s, r) = try await (scheduler, refresher)
            if round == 0 { try await Self.expectBadIDsRefused(env) }
            try await Task.sleep(for: .milliseconds(round * 150))
            async let stoppedS = Self.stop(s, "proxy running, round \(round)")
            async let stoppedR = Self.stop(r, "proxy running, round \(round)")
            _ = await (stoppedS, stoppedR)
        }
        async let scheduler = Self.launch("scheduler", in: env)
        async let refresher = Self.launch("refresher", in: env)
        let (s, r) = try await (scheduler, refresher)
        for round in 0..<3 {
            await Self.stop(proxy, "scheduler and refresher running, round \(round)")
            proxy = try await Self.launch("proxy", in: env)
        }

        // 3. In the middle of a warmup: the scheduler's scan sent one through the proxy, whose
        //    upstream answers only after `slowDelay`. The scheduler does not wait for it; the
        //    proxy finishes it (its work in progress) and then exits at once.
        let chat = "/v1/chat/completions"
        #expect(try await env.simulatorState.stats(forKey: Self.keys[1]).byPath[chat] == nil)
        try env.state.accounts.update(id: "slow") { account in
            // Back at 100% in its quota window: the next scan warms it.
            account.quota.windows = account.quota.windows.map { window in
                var full = window
                full.percentage = 100
                return full
            }
            account.quota.models[0].percentage = 100
        }
        _ = try await env.control("scheduler").send("scan")
        let sent = await env.eventually(timeout: .seconds(10)) {
            try await env.simulatorState.stats(forKey: Self.keys[1]).byPath[chat] == 1
        }
        #expect(sent, "the scan sent a warmup; scheduler log:\n\(s.process.standardError.suffix(1500))")
        // The scheduler and refresher first, while the proxy still works on the warmup.
        async let stoppedS = Self.stop(s, "mid-warmup")
        async let stoppedR = Self.stop(r, "mid-warmup")
        let (schedulerTook, _) = await (stoppedS, stoppedR)
        #expect(schedulerTook < Self.bound, "the scheduler waited \(schedulerTook) for a warmup answer")
        await Self.stop(proxy, within: .milliseconds(Self.slowDelay) + Self.bound, "mid-warmup (finishing it)")
        await env.stop()
    }

    static func expectBadIDsRefused(_ env: StackEnvironment) async throws {
        let attempts: [(String, String, [String: QuotaCore.JSONValue])] = [
            ("proxy", "clear-cooldown", ["account": "../victim"]),
            ("proxy", "warmup", ["account": "../victim", "model": "gemini-3-flash"]),
            ("refresher", "refresh", ["account": "a/b"]),
            ("scheduler", "warmup", ["account": ".x"]),
        ]
        for (service, command, arguments) in attempts {
            do throws(ControlClientError) {
                _ = try await env.control(service).send(command, arguments: arguments)
                Issue.record("\(service) \(command) accepted \(arguments)")
            } catch {
                guard case .commandFailed(let failure) = error else {
                    Issue.record("\(service) \(command): \(error)")
                    continue
                }
                #expect(failure.code == .invalidArgument, "\(service) \(command): \(failure)")
                #expect(failure.message.contains("invalid account id"), "\(service) \(command): \(failure.message)")
            }
        }
    }

    /// `mkfifo accounts/x.json` used to hang the reload, the control socket and SIGTERM.
    @Test func aFIFOInAccountsNeverBlocksTheProxy() async throws {
        let env = try await ProxyEnvironment.start(keys: [SimulatedKey(key: "sk-fifo-test-0001")]) { url in
            [Account(id: "ok", provider: .openai, baseURL: url, credentials: .apiKey("sk-fifo-test-0001"))]
        }
        let fifo = env.statePath + "/accounts/x.json"
        #expect(mkfifo(fifo, 0o600) == 0)
        // (Retries up to 2 s while nothing reads the FIFO: on a thread of its own, not the pool.)
        defer { BlockingCall.releaseFIFOInBackground(at: fifo) }
        for _ in 0..<3 {
            let answer = try await env.control.send("reload", timeout: .seconds(5))
            #expect(answer["accounts"] == 1)
        }
        #expect(try await env.send(.GET, "/healthz", key: nil).status == 200)
        let status = try await env.control.send("status", timeout: .seconds(5))
        #expect(status["details"]?["skipped_files"] == 1)
        // One line naming the file and the reason, not one per rescan.
        let lines = env.process.standardError.split(separator: "\n").filter { $0.contains(fifo) }
        #expect(lines.count == 1, "\(lines)")
        #expect(lines.first?.contains("FIFO") == true)

        let stopping = ContinuousClock.now
        await env.stop()  // SIGTERM, expects exit 0
        #expect(ContinuousClock.now - stopping < Self.bound)
    }
}
