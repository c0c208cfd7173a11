import AsyncHTTPClient
import Foundation
import Glibc
import NIOCore
import NIOHTTP1
import QuotaControl
import QuotaCore
import QuotaState
import QuotaTestSupport
import Testing
import UpstreamSimulator

/// `quota-proxyctl` against running services: output, edits and exit codes.
@Suite("quota-proxyctl", .serialized)
struct ProxyCtlTests {
    func ctl(_ env: StackEnvironment, _ arguments: [String]) async throws -> (status: Int32?, output: String, error: String) {
        let process = try ServiceProcess(
            "quota-proxyctl", arguments: arguments + ["--runtime-dir", env.runtimePath], logDirectory: env.dir.path)
        let status = await process.waitForExit()
        return (status, process.standardOutput, process.standardError)
    }

    func ctlWithState(_ env: StackEnvironment, _ arguments: [String]) async throws -> (status: Int32?, output: String, error: String) {
        try await ctl(env, arguments + ["--state-dir", env.statePath])
    }

    @Test func accountsAreListedMaskedAndEdited() async throws {
        let env = try await StackEnvironment.start(
            simulator: SimulatorConfiguration(keys: [SimulatedKey(key: "sk-listed-secret-01")]), services: ["proxy"],
            config: #"{"listen": {"port": 0}}"#
        ) { url in
            [Account(id: "listed", label: "ops@example.com", provider: .openai, baseURL: url, credentials: .apiKey("sk-listed-secret-01"))]
        }
        let list = try await ctl(env, ["accounts", "list"])
        #expect(list.status == 0, "\(list.error)")
        #expect(list.output.contains("listed") && list.output.contains("ops@example.com") && list.output.contains("sk-l…t-01"))
        #expect(list.output.contains("no quota data"))
        #expect(!list.output.contains("sk-listed-secret-01"), "secrets are masked")
        #expect(list.output.contains("LAST USED") && list.output.contains("never"))

        let keyFile = env.dir.path + "/key.txt"
        try Data("sk-added-secret-0002\n".utf8).write(to: URL(fileURLWithPath: keyFile))
        let add = try await ctlWithState(
            env, ["accounts", "add", "--id", "added", "--provider", "openai", "--base-url", env.simulatorURL, "--api-key-file", keyFile, "--tier", "fallback"])
        #expect(add.status == 0, "\(add.error)")
        #expect(!add.output.contains("sk-added-secret-0002"))
        let saved = try #require(try env.account("added"))
        #expect(saved.tier == .fallback && saved.credentials == .apiKey("sk-added-secret-0002"))
        var info = stat()
        stat(env.statePath + "/accounts/added.json", &info)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(try await ctl(env, ["accounts", "list"]).output.contains("added"), "the proxy reloaded at once")

        let duplicate = try await ctlWithState(
            env, ["accounts", "add", "--id", "added", "--provider", "openai", "--base-url", env.simulatorURL, "--api-key-file", keyFile])
        #expect(duplicate.status == 2)
        #expect(duplicate.error.contains("already exists"))

        #expect(try await ctlWithState(env, ["accounts", "disable", "added", "--reason", "billing"]).status == 0)
        #expect(try env.account("added")?.disabled == true && env.account("added")?.disabledReason == "billing")
        #expect(try await ctlWithState(env, ["accounts", "enable", "added"]).status == 0)
        #expect(try env.account("added")?.disabled == false)
        #expect(try await ctlWithState(env, ["accounts", "remove", "added"]).status == 0)
        #expect(try env.account("added") == nil)
        #expect(try await ctlWithState(env, ["accounts", "remove", "added"]).status == 1)

        let protection = try await ctl(env, ["protection"])
        #expect(protection.output.contains("Protection cannot act on these accounts") && protection.output.contains("listed"))
        #expect(try await ctl(env, ["cooldowns"]).output.contains("no account is cooling down"))
        let refresh = try await ctl(env, ["refresh"])
        #expect(refresh.status == 3, "the refresher is not running")
        #expect(refresh.error.contains("not running"))

        // One proxied request (last: it also gives the account quota data): it shows when it was last used.
        let status = try await env.control("proxy").send("status")
        let listen = try #require(status["details"]?["listen"]?.stringValue)
        var request = HTTPClientRequest(url: "http://\(listen)/v1/chat/completions")
        request.method = .POST
        request.headers.add(name: "authorization", value: "Bearer change-me")
        request.body = .bytes(ByteBuffer(string: #"{"model":"gpt-4o-mini","messages":[]}"#))
        #expect(try await HTTPClient.shared.execute(request, timeout: .seconds(10)).status == .ok)
        let used = try await ctl(env, ["accounts", "list"])
        #expect(used.output.contains("s ago") && !used.output.contains("never"), "\(used.output)")
        let usedJSON = try await ctl(env, ["accounts", "list", "--json"])
        #expect(usedJSON.output.contains("\"last_used\""))
        await env.stop()
    }

    @Test func configCheckNamesTheBadKey() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try Data(#"{"quota_protection": {"threshold_percentage": 150}}"#.utf8).write(to: URL(fileURLWithPath: dir.path + "/bad.json"))
        try Data("{}".utf8).write(to: URL(fileURLWithPath: dir.path + "/good.json"))
        let bad = try ServiceProcess("quota-proxyctl", arguments: ["config", "check", dir.path + "/bad.json"], logDirectory: dir.path)
        #expect(await bad.waitForExit() == 1)
        #expect(bad.standardError.contains("quota_protection.threshold_percentage"))
        let good = try ServiceProcess("quota-proxyctl", arguments: ["config", "check", dir.path + "/good.json"], logDirectory: dir.path)
        #expect(await good.waitForExit() == 0)
        #expect(good.standardOutput.contains("valid"))
        let usage = try ServiceProcess("quota-proxyctl", arguments: ["accounts", "add", "--id", "x"], logDirectory: dir.path)
        #expect(await usage.waitForExit() == 2)
    }
}
