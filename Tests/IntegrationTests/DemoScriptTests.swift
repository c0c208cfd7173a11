import Foundation
import QuotaTestSupport
import Testing

/// `packaging/demo.sh`, run as a user runs it: `--scenario` end to end against the debug build
/// (the simulator, the three services, curl), and its options.
@Suite("The demo script")
struct DemoScriptTests {
    /// The repository's root, found from this file's location.
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var script: String { repository.appendingPathComponent("packaging/demo.sh").path }

    /// Runs `bash packaging/demo.sh ARGUMENTS` with the executables of this build. After
    /// `timeout` the script's process group gets TERM (the script then stops what it started),
    /// KILL 20 s later, and a failure is recorded; so is a process the script left running.
    static func run(_ arguments: [String], timeout: Duration = .seconds(150)) async throws -> ChildProcess.Outcome {
        var environment = ProcessInfo.processInfo.environment
        // The script must not pick up a surrounding service's folders, or send loopback requests
        // through a proxy.
        for name in ["STATE_DIRECTORY", "RUNTIME_DIRECTORY", "QUOTA_PROXY_CONFIG", "DEMO_INFO", "NOTIFY_SOCKET",
                     "WATCHDOG_USEC", "WATCHDOG_PID", "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"] {
            environment[name] = nil
        }
        environment["NO_PROXY"] = "127.0.0.1,localhost"
        environment["no_proxy"] = "127.0.0.1,localhost"
        // `swift build --show-bin-path` would wait for the build folder `swift test` holds.
        environment["QUOTA_PROXY_BIN"] = ServiceProcess.productsDirectory.path
        let run = try await ChildProcess.run(
            "/bin/bash", [script] + arguments, environment: environment, directory: repository.path, timeLimit: timeout,
            gracePeriod: .seconds(20))
        if run.timedOut {
            Issue.record("demo.sh \(arguments.joined(separator: " ")) did not finish within \(timeout)\n\(run)")
        }
        #expect(run.leftBehind.isEmpty, "demo.sh \(arguments.joined(separator: " ")) left processes running\n\(run)")
        return run
    }

    /// The folder the script names on exit ("Logs kept in DIR (…)").
    static func logFolder(_ output: String) -> String? {
        guard let line = output.split(separator: "\n").last(where: { $0.hasPrefix("Stopped. Logs kept in ") }) else { return nil }
        return line.dropFirst("Stopped. Logs kept in ".count).split(separator: " ").first.map(String.init)
    }

    @Test("--scenario: protection, the switch to the other account, 429 with Retry-After, recovery; logs kept")
    func scenario() async throws {
        let run = try await Self.run(["--scenario", "--port", "0"])
        let output = run.standardOutput
        let folder = Self.logFolder(output)
        defer { if let folder { try? FileManager.default.removeItem(atPath: folder) } }
        // A step that did not see what it expected makes the script exit 1 naming the step.
        try #require(run.status == 0, "\(run)")

        // Every step ran and saw what it expected.
        for number in 1...5 {
            #expect(output.contains("== Step \(number): "), "step \(number) missing\n\(run)")
        }
        #expect(output.components(separatedBy: "\n   ok: ").count - 1 == 5, "\(run)")
        #expect(output.contains("protected gpt-4o-mini on alice") || output.contains("alice    gpt-4o-mini"), "\(run)")
        #expect(output.contains("HTTP 429   Retry-After: "), "\(run)")
        #expect(!output.contains("SCENARIO FAILED") && !run.standardError.contains("SCENARIO FAILED"), "\(run)")

        // In under a minute, by the script's own clock.
        let seconds = output.split(separator: "\n").first { $0.hasPrefix("Scenario passed") }
            .flatMap { line in line.split(separator: "(").last?.split(separator: " ").first.flatMap { Int($0) } }
        #expect(seconds != nil && seconds! < 60, "the scenario took \(seconds.map(String.init) ?? "?") s\n\(run)")

        // The one environment line, with the folders quota-proxyctl reads.
        let exports = output.split(separator: "\n").filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix("export ") }
        #expect(exports.count == 1, "\(run)")
        if let line = exports.first {
            for name in ["STATE_DIRECTORY=", "RUNTIME_DIRECTORY=", "QUOTA_PROXY_CONFIG=", "PATH="] {
                #expect(line.contains(name), "\(line)")
            }
        }

        // The logs are kept in the folder it names; state and sockets are gone.
        let logs = try #require(folder, "no 'Logs kept in' line\n\(run)")
        let proxyLog = (try? String(contentsOfFile: logs + "/quota-proxy.log", encoding: .utf8)) ?? ""
        #expect(proxyLog.contains("protected gpt-4o-mini on alice"), "quota-proxy.log: \(proxyLog.suffix(2000))")
        for log in ["quota-scheduler.log", "quota-refresher.log", "sim.log"] {
            #expect(FileManager.default.fileExists(atPath: logs + "/" + log), "\(log) not kept in \(logs)")
        }
        #expect(!FileManager.default.fileExists(atPath: logs + "/state"), "the state folder was left in \(logs)")
        #expect(!FileManager.default.fileExists(atPath: logs + "/run"), "the sockets folder was left in \(logs)")
    }

    @Test("--help describes the options; a bad option or port is a usage error (exit 2)")
    func options() async throws {
        let help = try await Self.run(["--help"], timeout: .seconds(30))
        #expect(help.status == 0, "\(help)")
        for option in ["--port N", "--scenario", "--help"] {
            #expect(help.standardOutput.contains(option), "\(help)")
        }
        for arguments in [["--port", "nope"], ["--port", "70000"], ["--port"], ["--frobnicate"]] {
            let run = try await Self.run(arguments, timeout: .seconds(30))
            #expect(run.status == 2, "\(arguments): \(run)")
            #expect(run.standardError.contains("demo.sh: "), "\(arguments): \(run)")
        }
    }
}
