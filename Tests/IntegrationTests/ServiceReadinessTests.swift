import Foundation
import Glibc
import QuotaControl
import QuotaCore
import QuotaTestSupport
import Testing

/// The three services started as real processes with a test-owned `NOTIFY_SOCKET`.
@Suite("Service readiness and lifecycle")
struct ServiceReadinessTests {
    struct Running {
        let dir: TemporaryDirectory
        let process: ServiceProcess
        let notify: NotifySocketListener
        let socket: String
        let config: String
    }

    static let services: [(executable: String, socket: String)] = [
        ("quota-proxy", "proxy.sock"), ("quota-scheduler", "scheduler.sock"), ("quota-refresher", "refresher.sock"),
    ]

    func start(
        _ executable: String, socketName: String, config: String = #"{"listen": {"port": 0}}"#, environment: [String: String] = [:]
    ) throws -> Running {
        let dir = try TemporaryDirectory()
        let run = try dir.subdirectory("run")
        let configPath = dir.path + "/config.json"
        try Data(config.utf8).write(to: URL(fileURLWithPath: configPath))
        let socket = run + "/" + socketName
        let notify = try NotifySocketListener(directory: dir.path, watching: socket)
        let process = try ServiceProcess(
            executable,
            arguments: ["--config", configPath, "--state-dir", dir.path + "/state", "--runtime-dir", run],
            environment: environment.merging(["NOTIFY_SOCKET": notify.path]) { _, new in new },
            logDirectory: dir.path)
        return Running(dir: dir, process: process, notify: notify, socket: socket, config: configPath)
    }

    @Test(arguments: services.map(\.executable))
    func readyOnlyAfterTheControlSocketAnswersAndStoppingOnSigterm(executable: String) async throws {
        let socketName = Self.services.first { $0.executable == executable }!.socket
        let running = try start(executable, socketName: socketName)
        defer {
            running.notify.stop()
            running.dir.remove()
        }
        let ready = try #require(await running.notify.waitFor("READY=1"), "no READY=1; stderr: \(running.process.standardError)")
        #expect(ready.watchedFileExisted, "READY=1 arrived before \(running.socket) existed")
        #expect(ready.value(of: "STATUS")?.isEmpty == false, "READY=1 comes with a STATUS= line")

        let status = try await ControlClient(path: running.socket).send("status")
        #expect(status["service"]?.stringValue == executable)
        #expect(status["ready"] == true)
        #expect(status["pid"]?.intValue == Int(running.process.pid))

        running.process.signal(SIGTERM)
        #expect(await running.notify.waitFor("STOPPING=1") != nil)
        let exitStatus = await running.process.waitForExit()
        #expect(exitStatus == 0, "stderr: \(running.process.standardError)")
        #expect(!FileManager.default.fileExists(atPath: running.socket), "the socket is removed on exit")
    }

    /// The built-in `change-me` key is said out loud at start; a real key is not mentioned.
    @Test func placeholderClientKeyIsWarnedAbout() async throws {
        for (config, warned) in [(#"{"listen": {"port": 0}}"#, true), (#"{"listen": {"port": 0}, "client_api_keys": ["k-123456"]}"#, false)] {
            let running = try start("quota-proxy", socketName: "proxy.sock", config: config)
            #expect(await running.notify.waitFor("READY=1") != nil)
            running.process.signal(SIGTERM)
            _ = await running.process.waitForExit()
            let log = running.process.standardError
            #expect(log.contains("placeholder \"change-me\"") == warned, "\(config): \(log)")
            #expect(!log.contains("k-123456"), "a client key never reaches the log")
            running.notify.stop()
            running.dir.remove()
        }
    }

    @Test func sighupReloadsAndKeepsTheOldConfigurationWhenTheNewOneIsInvalid() async throws {
        let running = try start("quota-proxy", socketName: "proxy.sock")
        defer {
            running.notify.stop()
            running.dir.remove()
        }
        #expect(await running.notify.waitFor("READY=1") != nil)
        let before = running.notify.messages.count
        running.process.signal(SIGHUP)
        #expect(await running.notify.waitFor("RELOADING=1", after: before) != nil)
        #expect(await running.notify.waitFor("READY=1", after: before) != nil)

        try Data(#"{"quota_protection": {"threshold_percentage": 0}}"#.utf8).write(to: URL(fileURLWithPath: running.config))
        let beforeBad = running.notify.messages.count
        running.process.signal(SIGHUP)
        let afterBad = try #require(await running.notify.waitFor("READY=1", after: beforeBad))
        #expect(afterBad.value(of: "STATUS")?.contains("quota_protection.threshold_percentage") == true)
        // Still serving.
        #expect(try await ControlClient(path: running.socket).send("ping") == ["pong": true])
        running.process.signal(SIGTERM)
        #expect(await running.process.waitForExit() == 0)
    }

    @Test func watchdogKeepAliveWhenSystemdAsksForIt() async throws {
        let running = try start("quota-refresher", socketName: "refresher.sock", environment: ["WATCHDOG_USEC": "200000"])
        defer {
            running.notify.stop()
            running.dir.remove()
        }
        #expect(await running.notify.waitFor("READY=1") != nil)
        #expect(await running.notify.waitFor("WATCHDOG=1", timeout: .seconds(10)) != nil)
        running.process.signal(SIGTERM)
        #expect(await running.process.waitForExit() == 0)
    }

    @Test func invalidConfigurationStopsTheServiceNamingTheKey() async throws {
        let running = try start("quota-scheduler", socketName: "scheduler.sock", config: #"{"routing": {"strategy": "random"}}"#)
        defer {
            running.notify.stop()
            running.dir.remove()
        }
        let status = await running.process.waitForExit()
        #expect(status == 1)
        #expect(running.process.standardError.contains("routing.strategy"))
        #expect(running.process.standardError.contains(running.config))
        #expect(running.notify.messages.allSatisfy { !$0.assignments.contains("READY=1") })
    }

    @Test func proxyctlStatusShowsRunningAndMissingServices() async throws {
        let running = try start("quota-proxy", socketName: "proxy.sock")
        defer {
            running.notify.stop()
            running.dir.remove()
        }
        #expect(await running.notify.waitFor("READY=1") != nil)
        let runtime = (running.socket as NSString).deletingLastPathComponent
        let ctl = try ServiceProcess(
            "quota-proxyctl", arguments: ["status", "--runtime-dir", runtime], logDirectory: running.dir.path)
        #expect(await ctl.waitForExit() == 3, "exit code 3: a service is not running")
        let table = ctl.standardOutput
        #expect(table.contains("quota-proxy      running"))
        #expect(table.contains("quota-scheduler  not running"))
        #expect(table.contains("quota-refresher  not running"))

        let json = try ServiceProcess(
            "quota-proxyctl", arguments: ["status", "--json", "--runtime-dir", runtime], logDirectory: running.dir.path)
        #expect(await json.waitForExit() == 3)
        let parsed = try JSONDecoder().decode(JSONValue.self, from: Data(json.standardOutput.utf8))
        #expect(parsed["quota-proxy"]?["running"] == true)
        #expect(parsed["quota-scheduler"]?["running"] == false)
        running.process.signal(SIGTERM)
        #expect(await running.process.waitForExit() == 0)
    }
}
