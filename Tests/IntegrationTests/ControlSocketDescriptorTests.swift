import Foundation
import Glibc
import QuotaControl
import QuotaCore
import QuotaTestSupport
import Testing

/// A control socket whose service has run out of descriptors pauses accepting instead of spinning
/// on `accept` (`EMFILE`), and serves again once descriptors are back.
@Suite("Control sockets out of descriptors")
struct ControlSocketDescriptorTests {
    @Test(arguments: [("quota-proxy", "proxy.sock"), ("quota-scheduler", "scheduler.sock"), ("quota-refresher", "refresher.sock")])
    func runningOutOfDescriptorsIsNoBusyLoop(executable: String, socketName: String) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let run = try dir.subdirectory("run")
        let configPath = dir.path + "/config.json"
        try Data(#"{"listen": {"port": 0}, "client_api_keys": ["k-descriptors"]}"#.utf8).write(to: URL(fileURLWithPath: configPath))
        let socket = run + "/" + socketName
        let notify = try NotifySocketListener(directory: dir.path, watching: socket)
        defer { notify.stop() }
        let process = try ServiceProcess(
            executable, arguments: ["--config", configPath, "--state-dir", dir.path + "/state", "--runtime-dir", run],
            environment: ["NOTIFY_SOCKET": notify.path], logDirectory: dir.path)
        try #require(await notify.waitFor("READY=1") != nil, "no READY=1; stderr: \(process.standardError)")
        #expect(try await ControlClient(path: socket).send("status")["control_accept_failures"]?.intValue == 0)

        // Leave the service ten spare descriptors, then connect far more clients than that: the
        // rest wait in the socket's backlog while every accept fails with EMFILE.
        let limit = Self.openDescriptors(process.pid) + 10
        let lowered = try await ChildProcess.run("/usr/bin/prlimit", ["--pid", String(process.pid), "--nofile=\(limit):\(limit)"])
        try #require(lowered.succeeded, "\(lowered)")
        let exhausted = ContinuousClock.now
        // A known libdispatch behaviour, not ours to fix: its worker-pool monitor opens
        // /proc/<tid>/stat and traps (SIGILL) when that fails with EMFILE while Swift concurrency
        // work is queued (RELIABILITY.md; scripts/reliability/libdispatch-emfile-repro.py). Starved
        // this far below its own connection caps, a service can die of it; that run proves nothing
        // about busy loops and is recorded as the known, intermittent issue it is.
        func diedOfStarvation() -> Bool {
            guard !process.process.isRunning else { return false }
            withKnownIssue("libdispatch traps when it cannot open /proc/<tid>/stat (EMFILE)", isIntermittent: true) {
                Issue.record("\(executable) died while out of descriptors: \(process.standardError.suffix(600))")
            }
            return true
        }
        var held: [Int32] = []
        defer { for fd in held { close(fd) } }
        // All at once on one thread of their own (blocking connects, off the cooperative pool).
        let (opened, failure) = try await BlockingCall.run { () -> ([Int32], (any Error)?) in
            var opened: [Int32] = []
            for _ in 0..<40 {
                do { opened.append(try Self.connect(socket)) } catch { return (opened, error) }
            }
            return (opened, nil)
        }
        held = opened
        if let failure {
            // Refused: the service is gone (see above) or the test is wrong.
            if diedOfStarvation() { return }
            throw failure
        }
        #expect(await Self.eventually { process.standardError.contains("accepting connections on the control socket failed") })
        let cpuBefore = Self.cpuTime(process.pid)
        let wallBefore = ContinuousClock.now
        try await Task.sleep(for: .seconds(1))
        let cpu = Self.cpuTime(process.pid) - cpuBefore
        let wall = ContinuousClock.now - wallBefore
        if diedOfStarvation() { return }
        #expect(cpu < wall * 0.5, "\(executable) used \(cpu) of CPU in \(wall) while out of descriptors")

        for fd in held { close(fd) }
        held.removeAll()
        var failed = -1
        let answered = await Self.eventually {
            guard let answer = try? await ControlClient(path: socket).send("status") else { return false }
            failed = answer["control_accept_failures"]?.intValue ?? -1
            return true
        }
        if !answered, diedOfStarvation() { return }
        #expect(answered, "\(executable) serves its control socket again once descriptors are back")
        let seconds = Int((ContinuousClock.now - exhausted) / .seconds(1)) + 1
        // One attempt per 250 ms pause, not a busy loop of thousands.
        #expect(failed >= 1 && failed <= 4 * seconds + 4, "accept failed \(failed) times in about \(seconds) s")
        #expect(process.process.isRunning)
        process.signal(SIGTERM)
        #expect(await process.waitForExit() == 0, "\(process.standardError.suffix(2000))")
    }

    /// A connected Unix stream socket (the caller closes it).
    static func connect(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            let code = errno
            close(fd)
            throw POSIXError(.init(rawValue: code) ?? .EIO)
        }
        return fd
    }

    static func openDescriptors(_ pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0
    }

    /// User + system CPU time of a process, from `/proc/<pid>/stat`.
    static func cpuTime(_ pid: Int32) -> Duration {
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        let fields = stat.split(separator: ")").last?.split(separator: " ") ?? []
        guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { return .zero }
        return .milliseconds((user + system) * 1000 / sysconf(Int32(_SC_CLK_TCK)))
    }

    static func eventually(timeout: Duration = .seconds(15), _ condition: () async throws -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? await condition()) == true { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return (try? await condition()) == true
    }
}
