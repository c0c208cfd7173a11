import Foundation
import QuotaCore
import QuotaState
import QuotaTestSupport
import Testing
import UpstreamSimulator

/// Fixing a wrong key from the CLI (issue 15 items 1, 3 and 6): the URL a request goes to is shown
/// by `accounts show`, `accounts add` and the proxy's log; `accounts add --replace`; `accounts test`
/// reports what the upstream said; `accounts list` shows why an account is disabled.
@Suite("quota-proxyctl: account URL, --replace, test", .serialized)
struct AccountRepairCtlTests {
    func ctl(_ env: StackEnvironment, _ arguments: [String]) async throws -> (status: Int32?, output: String, error: String) {
        let process = try ServiceProcess(
            "quota-proxyctl", arguments: arguments + ["--runtime-dir", env.runtimePath, "--state-dir", env.statePath],
            logDirectory: env.dir.path)
        let status = await process.waitForExit()
        return (status, process.standardOutput, process.standardError)
    }

    @Test func aWrongKeyIsSeenTestedAndReplaced() async throws {
        let env = try await StackEnvironment.start(
            simulator: SimulatorConfiguration(keys: [SimulatedKey(key: "sk-right-key-00001")]), services: ["proxy"],
            config: #"{"listen": {"port": 0}, "client_api_keys": ["k-repair-00001"]}"#
        ) { url in
            [Account(id: "good", provider: .openai, baseURL: url, credentials: .apiKey("sk-right-key-00001"), models: ["gpt-4o-mini"])]
        }
        let origin = env.simulatorURL
        let show = try await ctl(env, ["accounts", "show", "good"])
        #expect(show.status == 0, "\(show.error)")
        #expect(show.output.contains("requests go to  POST \(origin)/v1/chat/completions"), "\(show.output)")
        #expect(!show.output.contains("sk-right-key-00001"))
        let showJSON = try await ctl(env, ["accounts", "show", "good", "--json"])
        #expect(showJSON.output.contains("POST \(origin)/v1/chat/completions"), "\(showJSON.output)")
        #expect(env.log("proxy").contains("account good (openai): requests go to POST \(origin)/v1/chat/completions"))

        // A base URL as the OpenAI SDK takes it (with /v1): shown without a doubled segment.
        let keyFile = env.dir.path + "/wrong.txt"
        try Data("sk-wrong-key-00002\n".utf8).write(to: URL(fileURLWithPath: keyFile))
        let add = try await ctl(
            env, ["accounts", "add", "--id", "second", "--provider", "openai", "--base-url", origin + "/v1", "--api-key-file", keyFile])
        #expect(add.status == 0, "\(add.error)")
        #expect(add.output.contains("saved second"), "\(add.output)")
        #expect(add.output.contains("requests go to POST \(origin)/v1/chat/completions"), "\(add.output)")
        #expect(!add.output.contains("/v1/v1/") && !add.output.contains("sk-wrong-key-00002"))
        let logged = await env.eventually { env.log("proxy").contains("account second (openai): requests go to POST \(origin)/v1/chat/completions") }
        #expect(logged, "the proxy logs where the new account's requests go")

        let failing = try await ctl(env, ["accounts", "test", "second", "--model", "gpt-4o-mini"])
        #expect(failing.status == 1, "the upstream refused the key: \(failing.output) \(failing.error)")
        #expect(failing.output.contains("upstream answered HTTP 401"), "\(failing.output)")
        #expect(failing.output.contains("POST \(origin)/v1/chat/completions"), "\(failing.output)")
        #expect(!failing.output.contains("sk-wrong-key-00002"))

        let refused = try await ctl(
            env, ["accounts", "add", "--id", "second", "--provider", "openai", "--base-url", origin + "/v1", "--api-key", "sk-right-key-00001"])
        #expect(refused.status == 2)
        #expect(refused.error.contains("already exists") && refused.error.contains("--replace"), "\(refused.error)")
        #expect(try env.account("second")?.credentials == .apiKey("sk-wrong-key-00002"), "nothing was written")

        let replaced = try await ctl(
            env,
            [
                "accounts", "add", "--id", "second", "--provider", "openai", "--base-url", origin + "/v1", "--api-key",
                "sk-right-key-00001", "--models", "gpt-4o-mini", "--replace",
            ])
        #expect(replaced.status == 0, "\(replaced.error)")
        #expect(replaced.output.contains("replaced second"), "\(replaced.output)")
        #expect(try env.account("second")?.credentials == .apiKey("sk-right-key-00001"))

        let passing = try await ctl(env, ["accounts", "test", "second"])
        #expect(passing.status == 0, "\(passing.output) \(passing.error)")
        #expect(passing.output.contains("upstream answered HTTP 200"), "\(passing.output)")
        #expect(passing.output.contains("model    gpt-4o-mini"), "the account's first model: \(passing.output)")
        let json = try await ctl(env, ["accounts", "test", "second", "--json"])
        #expect(json.status == 0)
        #expect(json.output.contains(#""status" : 200"#) && json.output.contains(#""ok" : true"#), "\(json.output)")
        #expect(try await ctl(env, ["accounts", "test", "nobody"]).status == 1)

        // Tests are logged as kind test, never as warmups.
        let recorded = await env.eventually {
            let tests = try await ctl(env, ["requests", "--kind", "test", "--account", "second", "--json"])
            return tests.output.components(separatedBy: #""kind" : "test""#).count - 1 == 3
        }
        #expect(recorded, "the three tests of second in the request log")
        #expect(try await ctl(env, ["requests", "--kind", "warmup", "--json"]).output.contains(#""kind""#) == false)
        #expect(!FileManager.default.fileExists(atPath: env.statePath + "/warmup_history.json"))

        let reload = try await ctl(env, ["reload"])
        #expect(reload.status == 0 && reload.output.contains("2 account(s)"), "\(reload.output) \(reload.error)")

        #expect(try await ctl(env, ["accounts", "disable", "second", "--reason", "billing"]).status == 0)
        let list = try await ctl(env, ["accounts", "list"])
        #expect(list.output.contains("disabled: billing"), "\(list.output)")
        await env.stop()
    }
}
