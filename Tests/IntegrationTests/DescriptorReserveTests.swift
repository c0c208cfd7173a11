import Foundation
import Glibc
import QuotaControl
import QuotaCore
import QuotaTestSupport
import Testing

/// Every service keeps a reserve of descriptors that accepting never takes (``DescriptorLedger``):
/// with its open-file limit lowered from outside to a few above what it has open plus the reserve,
/// a flood of control-socket (and, for the proxy, HTTP) connections is closed at once beyond that
/// room; `accept` never fails for want of descriptors, so libdispatch always finds one for its
/// `/proc/<tid>/stat` check (it kills a process that cannot open it: RELIABILITY.md,
/// scripts/reliability/libdispatch-emfile-repro.py), and the service serves again afterwards.
@Suite("Descriptor reserve")
struct DescriptorReserveTests {
    @Test(arguments: [("quota-proxy", "proxy.sock"), ("quota-scheduler", "scheduler.sock"), ("quota-refresher", "refresher.sock")])
    func aFloodWithFewDescriptorsLeftNeverTakesTheReserve(executable: String, socketName: String) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let run = try dir.subdirectory("run")
        let configPath = dir.path + "/config.json"
        // A listen.max_connections far beyond what the descriptors carry: the reserve holds all the same.
        try Data(#"{"listen": {"port": 0, "max_connections": 100000}, "client_api_keys": ["k-descriptors"]}"#.utf8)
            .write(to: URL(fileURLWithPath: configPath))
        let socket = run + "/" + socketName
        let notify = try NotifySocketListener(directory: dir.path, watching: socket)
        defer { notify.stop() }
        let process = try ServiceProcess(
            executable, arguments: ["--config", configPath, "--state-dir", dir.path + "/state", "--runtime-dir", run],
            environment: ["NOTIFY_SOCKET": notify.path], logDirectory: dir.path)
        try #require(await notify.waitFor("READY=1") != nil, "no READY=1; stderr: \(process.standardError)")
        let before = try await ControlClient(path: socket).send("status")
        let reserve = try #require(before["descriptors"]?["reserve"]?.intValue)
        #expect(reserve == DescriptorBudget.defaultReserve)
        #expect(before["descriptors"]?["max_control_connections"]?.intValue == DescriptorBudget.maximumControlConnections)
        let httpPort = before["details"]?["listen"]?.stringValue?.split(separator: ":").last.flatMap { Int($0) }
        #expect((httpPort != nil) == (executable == "quota-proxy"))

        // Leave the service eight descriptors beyond its reserve, then connect far more clients
        // than that and the reserve together, each asking for something (work queued for Swift
        // concurrency, as when libdispatch's check has killed services). The control socket's
        // backlog is 128.
        let limit = Self.openDescriptors(process.pid) + reserve + 8
        let lowered = try await ChildProcess.run("/usr/bin/prlimit", ["--pid", String(process.pid), "--nofile=\(limit):\(limit)"])
        try #require(lowered.succeeded, "\(lowered)")
        // All at once on a thread of their own (blocking connects, off the cooperative pool).
        var (held, heldHTTP) = try await RawTCPClient.onThread { () throws -> ([Int32], [RawTCPClient.Connection]) in
            var held: [Int32] = []
            var heldHTTP: [RawTCPClient.Connection] = []
            for _ in 0..<120 {
                let fd = try Self.connect(socket)
                held.append(fd)
                _ = #"{"id":1,"cmd":"status"}"#.appending("\n").withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
                if let httpPort {
                    let connection = try RawTCPClient.Connection(port: httpPort)
                    try? connection.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
                    heldHTTP.append(connection)
                }
            }
            return (held, heldHTTP)
        }
        defer { for fd in held { close(fd) } }
        #expect(
            await Self.eventually { process.standardError.contains("would take the descriptors kept in reserve") },
            "\(process.standardError.suffix(2000))")
        // libdispatch looks once a second: give it a few looks while the flood is held.
        let cpuBefore = Self.cpuTime(process.pid)
        let wallBefore = ContinuousClock.now
        try await Task.sleep(for: .seconds(3))
        let cpu = Self.cpuTime(process.pid) - cpuBefore
        let wall = ContinuousClock.now - wallBefore
        try #require(process.process.isRunning, "\(executable) died while flooded: \(process.standardError.suffix(2000))")
        #expect(cpu < wall * 0.5, "\(executable) used \(cpu) of CPU in \(wall) while flooded")

        for fd in held { close(fd) }
        held.removeAll()
        heldHTTP.removeAll()
        var after: JSONValue?
        #expect(
            await Self.eventually {
                after = try? await ControlClient(path: socket).send("status")
                return after != nil
            }, "\(executable) answers status once the flood is gone: \(process.standardError.suffix(2000))")
        #expect(after?["control_accept_failures"]?.intValue == 0, "accept never failed for want of descriptors")
        #expect((after?["descriptors"]?["refused_connections"]?.intValue ?? 0) >= 1, "\(String(describing: after))")
        if let httpPort {
            #expect(after?["details"]?["accept_failures"]?.intValue == 0)
            #expect((after?["details"]?["connections_refused_for_reserve"]?.intValue ?? 0) >= 1)
            // Served again once the proxy has seen the flood's connections close (each close is
            // an event on its loop; until then a new connection may still be refused).
            var healthz: RawTCPClient.Outcome?
            let served = await Self.eventually {
                healthz = try? await RawTCPClient.exchange(
                    port: httpPort, request: "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                return healthz.map { String(decoding: $0.received, as: UTF8.self).hasPrefix("HTTP/1.1 200") } ?? false
            }
            #expect(served, "\(String(describing: healthz))")
        }
        #expect(process.process.isRunning)
        process.signal(SIGTERM)
        #expect(await process.waitForExit() == 0, "\(process.standardError.suffix(2000))")
    }

    /// A connected Unix stream socket (the caller closes it).
    static func connect(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        guard UnixSocketAddress.connect(fd, to: path) == 0 else {
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
