import Foundation
import Glibc
import Synchronization

/// One of the project's executables started as a child process by a test, with its stdout and
/// stderr captured to files.
public final class ServiceProcess: @unchecked Sendable {
    // @unchecked: `Process` is not Sendable; it is only touched from the test that owns this value,
    // and its termination is observed through the thread-safe continuation below.
    public let process: Process
    public let stdoutPath: String
    public let stderrPath: String
    /// The exit status, delivered by the termination handler (Foundation's thread); waiting for
    /// it suspends the task instead of occupying a thread of the cooperative pool, and a second
    /// wait (a test stops a service, then the environment stops them all) gets the same answer.
    private let exitStatus = BlockingCall.Pending<Int32>()

    /// The folder holding the executables built by `swift build` (beside the test bundle).
    public static var productsDirectory: URL {
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("quota-proxy").path) {
            if url.lastPathComponent.hasSuffix(".xctest") || url.path.contains(".xctest") {
                url.deleteLastPathComponent()
                continue
            }
            break
        }
        return url
    }

    /// Starts `executable` (a product name such as `quota-proxy`) with `arguments` and extra
    /// environment variables; with a `launcher` (e.g. `["/usr/bin/prlimit", "--nofile=1024:4096", "--"]`)
    /// the executable's path and arguments are handed to it instead.
    public init(
        _ executable: String, arguments: [String], environment: [String: String] = [:], logDirectory: String,
        launcher: [String] = []
    ) throws {
        process = Process()
        let path = Self.productsDirectory.appendingPathComponent(executable)
        if let program = launcher.first {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = launcher.dropFirst() + [path.path] + arguments
        } else {
            process.executableURL = path
            process.arguments = arguments
        }
        var env = ProcessInfo.processInfo.environment
        for key in ["NOTIFY_SOCKET", "JOURNAL_STREAM", "WATCHDOG_USEC", "WATCHDOG_PID", "STATE_DIRECTORY", "RUNTIME_DIRECTORY"] {
            env[key] = nil
        }
        env.merge(environment) { _, new in new }
        process.environment = env
        let stamp = "\(executable)-\(UInt32.random(in: 0...UInt32.max))"
        stdoutPath = "\(logDirectory)/\(stamp).out"
        stderrPath = "\(logDirectory)/\(stamp).err"
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        let exitStatus = self.exitStatus
        process.terminationHandler = { process in
            exitStatus.deliver(process.terminationStatus)
        }
        try process.run()
    }

    public var pid: Int32 { process.processIdentifier }

    public func signal(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Waits for the process to exit; `nil` if it is still running after `timeout` (its process
    /// group, which Foundation makes it the leader of, is then killed).
    public func waitForExit(timeout: Duration = .seconds(30)) async -> Int32? {
        if let status = await exitStatus.value(within: timeout) { return status }
        kill(-pid, SIGKILL)
        kill(pid, SIGKILL)
        return nil
    }

    public var standardError: String {
        (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
    }

    public var standardOutput: String {
        (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? ""
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
