import Foundation
import QuotaTestSupport
import Testing
import UpstreamSimulator

#if canImport(Glibc)
import Glibc
#endif

/// The built `quota-upstream-sim` binary, next to the test bundle.
private let executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
    .resolvingSymlinksInPath()
    .deletingLastPathComponent()
    .appendingPathComponent("quota-upstream-sim")

@Suite("quota-upstream-sim executable")
struct ExecutableTests {
    @Test(
        "Prints the listening line, serves the configured keys, exits 0 on SIGTERM",
        .enabled(if: FileManager.default.isExecutableFile(atPath: executableURL.path), "build the executable first (swift build)")
    )
    func listeningLineAndSigterm() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sim-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let configFile = directory.appendingPathComponent("config.json")
        try Data(#"{"keys":[{"key":"file-key","models":{"m":{"limit":7}}}]}"#.utf8).write(to: configFile)

        let process = Process()
        process.executableURL = executableURL
        process.arguments = ["--host", "127.0.0.1", "--port", "0", "--config", configFile.path, "--key", "cli-key", "--log-level", "error"]
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        let (terminations, terminated) = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { finished in
            terminated.yield(finished.terminationStatus)
            terminated.finish()
        }
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        // The blocking reads run on a thread of their own, not on the cooperative pool; a
        // simulator that never prints its line is killed, which ends the read.
        let reader = stdout.fileHandleForReading
        let pid = process.processIdentifier
        let read = await BlockingCall.run(timeout: .seconds(60), unblock: { kill(pid, SIGKILL) }) { () -> String in
            var bytes: [UInt8] = []
            while true {
                let chunk = reader.readData(ofLength: 1)
                guard let byte = chunk.first else { break }
                if byte == UInt8(ascii: "\n") { break }
                bytes.append(byte)
            }
            return String(decoding: bytes, as: UTF8.self)
        }
        let line = try #require(read, "quota-upstream-sim printed no listening line within 60 s")
        let event = try #require(decodeJSON(line))
        #expect(event["event"] == "listening")
        #expect(event["host"] == "127.0.0.1")
        let port = try #require(event["port"]?.intValue)
        #expect(port > 0)

        let harness = SimulatorHarness(port: port, state: try SimulatorState(configuration: SimulatorConfiguration()), clock: ManualClock())
        let fromFile = try await harness.chat(key: "file-key", model: "m")
        #expect(fromFile.status == 200)
        #expect(fromFile.header("x-ratelimit-limit-requests") == "7")
        #expect(try await harness.chat(key: "cli-key", model: "anything").status == 200)
        #expect(try await harness.chat(key: "other", model: "m").status == 401)

        kill(process.processIdentifier, SIGTERM)
        var iterator = terminations.makeAsyncIterator()
        let status = await iterator.next()
        #expect(status == 0)
    }

    @Test(
        "An invalid configuration file stops the executable with a message",
        .enabled(if: FileManager.default.isExecutableFile(atPath: executableURL.path), "build the executable first (swift build)")
    )
    func invalidConfiguration() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sim-bad-\(UUID().uuidString).json")
        try Data(#"{"keys":[{"key":"a","fault":{"mode":"boom"}}]}"#.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let run = try await ChildProcess.run(executableURL.path, ["--port", "0", "--config", file.path], timeLimit: .seconds(60))
        #expect(!run.timedOut && run.status != 0, "\(run)")
        #expect(run.standardError.contains("unknown fault mode 'boom'"), "\(run)")
    }
}
