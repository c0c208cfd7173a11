import Foundation
import Glibc
import QuotaCore
import QuotaTestSupport
import Testing
import UpstreamSimulator

/// The control commands the dashboard shares with `quota-proxyctl` (issue 18): `accounts
/// enable|disable` over `proxy.sock` (the file edited directly when the proxy is down) and
/// `warmup --plan` over `scheduler.sock`.
@Suite("quota-proxyctl commands shared with the dashboard", .serialized)
struct DashboardCtlTests {
    func ctl(_ env: StackEnvironment, _ arguments: [String]) async throws -> (status: Int32?, output: String, error: String) {
        let process = try ServiceProcess(
            "quota-proxyctl", arguments: arguments + ["--runtime-dir", env.runtimePath, "--state-dir", env.statePath],
            logDirectory: env.dir.path)
        let status = await process.waitForExit()
        return (status, process.standardOutput, process.standardError)
    }

    @Test func enableDisableGoThroughTheProxyAndPlanThroughTheScheduler() async throws {
        let env = try await StackEnvironment.start(
            simulator: SimulatorConfiguration(keys: [SimulatedKey(key: "sk-ctl-plan-00001")]), services: ["proxy", "scheduler"],
            config: #"{"listen": {"port": 0}, "client_api_keys": ["k-ctl-000001"]}"#
        ) { url in
            var account = Account(
                id: "full", provider: .openai, baseURL: url, credentials: .apiKey("sk-ctl-plan-00001"),
                quotaSource: QuotaSource(kind: .quotaURL, url: url + "/quota"), models: ["gpt-4o-mini"])
            account.quota = AccountQuota(
                models: [ModelQuota(name: "gpt-4o-mini", percentage: 100, resetTime: Date().addingTimeInterval(3600))], lastUpdated: Date())
            return [account]
        }
        let plan = try await ctl(env, ["warmup", "--plan"])
        #expect(plan.status == 0, "\(plan.error)")
        #expect(plan.output.contains("accounts=1"), "\(plan.output)")
        let json = try await ctl(env, ["warmup", "--plan", "--json"])
        #expect(json.output.contains("\"to_warm\""))
        #expect(try await ctl(env, ["warmup", "--plan", "--account", "full"]).status == 2)

        #expect(try await ctl(env, ["accounts", "disable", "full", "--reason", "billing"]).status == 0)
        #expect(try env.account("full")?.disabledReason == "billing")
        let viaSocket = await env.eventually { env.log("proxy").contains("full disabled by an operator: billing") }
        #expect(viaSocket, "the proxy made the edit (proxy.sock disable)")
        #expect(try await ctl(env, ["accounts", "disable", "nobody"]).status == 1)

        // With the proxy down the CLI edits the file itself.
        env.processes["proxy"]?.signal(SIGTERM)
        _ = await env.processes["proxy"]?.waitForExit()
        #expect(try await ctl(env, ["accounts", "enable", "full"]).status == 0)
        #expect(try env.account("full")?.disabled == false)
        #expect(try env.account("full")?.disabledReason == nil)
        await env.stop()
    }
}
