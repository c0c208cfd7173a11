import Foundation
import Glibc
import Logging
import QuotaCore
import QuotaTestSupport
import ServiceLifecycle
import Synchronization
import Testing

@testable import QuotaControl

@Suite("Control sockets")
struct ControlSocketTests {
    /// Starts a control socket server with an `echo` command, runs `body`, then shuts it down
    /// gracefully and checks the socket file is gone.
    func withServer(
        access: PeerAccessPolicy = .currentProcess,
        requestLineTimeout: Duration = .seconds(10),
        maximumConnections: Int = ControlSocketServer.defaultMaximumConnections,
        descriptors: DescriptorLedger = DescriptorLedger(),
        _ body: @Sendable (String, ControlClient) async throws -> Void
    ) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path + "/test.sock"
        var router = ControlCommandRouter()
        router.register("echo", summary: "returns its arguments") { request in .object(request.arguments) }
        router.register("fail", summary: "always fails") { _ in
            throw ControlError(code: .notFound, message: "account acc-9 not found")
        }
        router.register("slow", summary: "answers after 2.5 s") { _ in
            try await Task.sleep(for: .milliseconds(2500))
            return ["slow": true]
        }
        router.register("account", summary: "echoes a valid account id") { request in
            .string(try request.requiredAccountID())
        }
        let (listening, listeningContinuation) = AsyncStream.makeStream(of: Void.self)
        let server = ControlSocketServer(
            path: path, router: router, access: access, requestLineTimeout: requestLineTimeout,
            maximumConnections: maximumConnections, descriptors: descriptors, logger: Logger(label: "test")
        ) {
            listeningContinuation.yield()
        }
        let group = ServiceGroup(services: [server], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            for await _ in listening { break }
            try await body(path, ControlClient(path: path))
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(!FileManager.default.fileExists(atPath: path), "the socket file is removed on shutdown")
    }

    @Test func roundTrip() async throws {
        try await withServer { path, client in
            let result = try await client.send("echo", arguments: ["account": "acc-1", "n": 3])
            #expect(result == ["account": "acc-1", "n": 3])
            let pong = try await client.send("ping")
            #expect(pong == ["pong": true])
            let help = try await client.send("help")
            let names = help["commands"]?.arrayValue?.compactMap { $0["cmd"]?.stringValue } ?? []
            #expect(names == ["account", "echo", "fail", "ping", "slow"])
        }
    }

    @Test func socketModeIs0660() async throws {
        try await withServer { path, _ in
            var info = stat()
            #expect(stat(path, &info) == 0)
            #expect(info.st_mode & 0o777 == 0o660)
            #expect(info.st_mode & S_IFMT == S_IFSOCK)
        }
    }

    @Test func errorsAreAnsweredNotFatal() async throws {
        try await withServer { path, client in
            let lines = try await RawSocket.exchange(
                path: path,
                lines: [
                    "this is not json",
                    #"{"id":2,"cmd":"nope"}"#,
                    #"{"id":3}"#,
                    #"{"id":4,"cmd":5}"#,
                    "[1,2]",
                    #"{"id":"x","cmd":"fail"}"#,
                    #"{"id":6,"cmd":"echo","a":true}"#,
                ])
            #expect(lines.count == 7)
            #expect(lines[0]["ok"] == false && lines[0]["error"]?["code"] == "malformed_request")
            #expect(lines[1]["id"] == 2 && lines[1]["error"]?["code"] == "unknown_command")
            #expect(lines[1]["error"]?["message"]?.stringValue?.contains("known commands: account, echo, fail, help, ping, slow") == true)
            #expect(lines[2]["id"] == 3 && lines[2]["error"]?["code"] == "malformed_request")
            #expect(lines[3]["error"]?["code"] == "malformed_request")
            #expect(lines[4]["error"]?["code"] == "malformed_request")
            #expect(lines[5]["id"] == "x" && lines[5]["error"]?["code"] == "not_found")
            #expect(lines[5]["error"]?["message"] == "account acc-9 not found")
            #expect(lines[6] == ["id": 6, "ok": true, "result": ["a": true]])
            // The server still answers after all that.
            #expect(try await client.send("ping") == ["pong": true])
        }
    }

    /// A client that opens connections and never closes them cannot take every descriptor: beyond
    /// the limit (the socket's own, or what the descriptor reserve leaves) new connections are
    /// closed at once, and served again once one closes.
    @Test(.serialized, arguments: ["maximumConnections", "descriptor reserve"])
    func connectionsBeyondTheLimitAreClosedAtOnce(cap: String) async throws {
        // The reserve leaves room for exactly four connections, whatever else this process has open.
        let limit = DescriptorLedger().budget.limit
        let descriptors = cap == "maximumConnections" ? DescriptorLedger() : DescriptorLedger(reserve: limit - 100 - 4, inUse: 100)
        let maximum = cap == "maximumConnections" ? 4 : ControlSocketServer.defaultMaximumConnections
        try await withServer(maximumConnections: maximum, descriptors: descriptors) { path, client in
            var held: [Int32] = []
            defer { for fd in held { close(fd) } }
            for _ in 0..<4 {
                // (Blocking socket calls, on a thread of their own: the server needs the pool.)
                let (fd, answer) = try await BlockingCall.run {
                    let fd = try RawSocket.connected(to: path)
                    return (fd, Result { try RawSocket.blockingLine(fd: fd, send: #"{"id":1,"cmd":"ping"}"#) })
                }
                held.append(fd)
                // Answered, so the server has accepted and counted it.
                #expect(try answer.get()?["result"] == ["pong": true])
            }
            // (Nothing sent: a close with unread data would arrive as a reset rather than an end.)
            let refused = try await RawSocket.talk(path: path, send: "", readFor: .seconds(5))
            #expect(refused.closed && refused.lines.isEmpty, "\(refused)")
            close(held.removeLast())
            var answered = false
            for _ in 0..<250 where !answered {
                answered = (try? await client.send("ping")) == ["pong": true]
                if !answered { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(answered, "a connection is served again once one of the four closed")
            if cap == "descriptor reserve" {
                #expect(descriptors.refusedCount >= 1)
            }
        }
    }

    @Test func oversizedLineIsRefused() async throws {
        try await withServer { path, client in
            let huge = #"{"cmd":"echo","x":""# + String(repeating: "a", count: ControlSocketServer.maximumLineLength + 10) + #""}"#
            let lines = try await RawSocket.exchange(path: path, lines: [huge])
            #expect(lines.first?["error"]?["code"] == "request_too_large")
            #expect(try await client.send("ping") == ["pong": true])
        }
    }

    /// A client that starts a line and never finishes it, or sends nothing at all, is answered
    /// `timeout` and disconnected; one that waits for a slow answer is not.
    @Test func connectionsThatNeverFinishALineAreClosed() async throws {
        // 1.5 s: long enough that a loaded machine delivers a whole line in time, shorter than "slow".
        try await withServer(requestLineTimeout: .milliseconds(1500)) { path, client in
            let started = ContinuousClock.now
            let partial = try await RawSocket.talk(path: path, send: #"{"id":1,"cmd":"ec"#, readFor: .seconds(5))
            #expect(partial.closed, "the connection must be closed by the server")
            #expect(ContinuousClock.now - started < .seconds(4))
            let answer = try #require(partial.lines.first)
            #expect(answer["error"]?["code"] == "timeout")
            #expect(answer["error"]?["message"]?.stringValue?.contains("no complete request line within 1.5 s") == true)

            let silent = try await RawSocket.talk(path: path, send: "", readFor: .seconds(5))
            #expect(silent.closed && silent.lines.first?["error"]?["code"] == "timeout")

            // The deadline runs only while the server waits for a line: a slow answer is not cut,
            // and the next line gets a fresh deadline.
            let slow = try await RawSocket.talk(path: path, send: #"{"id":2,"cmd":"slow"}"# + "\n", readFor: .seconds(8))
            #expect(slow.lines.first == ["id": 2, "ok": true, "result": ["slow": true]])
            #expect(slow.lines.dropFirst().first?["error"]?["code"] == "timeout")
            #expect(try await client.send("ping") == ["pong": true])
        }
    }

    /// Clients that connect while the server shuts down (a poke or a warmup arriving as the
    /// service stops) never crash it, and the shutdown still finishes.
    @Test func connectionsArrivingDuringShutdownNeverCrashTheServer() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        for round in 0..<25 {
            let path = dir.path + "/r\(round).sock"
            let (listening, listeningContinuation) = AsyncStream.makeStream(of: Void.self)
            let server = ControlSocketServer(path: path, router: ControlCommandRouter(), logger: Logger(label: "test")) {
                listeningContinuation.yield()
            }
            let group = ServiceGroup(services: [server], logger: Logger(label: "test"))
            let hammer = ConnectHammer(path: path)
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                for await _ in listening { break }
                hammer.start()
                while hammer.connections == 0 { try await Task.sleep(for: .milliseconds(1)) }
                try await Task.sleep(for: .milliseconds(Int.random(in: 0...10)))
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            hammer.stop()
        }
    }

    @Test func accountIDArgumentsAreChecked() async throws {
        try await withServer { _, client in
            let valid: JSONValue = try await client.send("account", arguments: ["account": "acc-1.b_c"])
            #expect(valid == "acc-1.b_c")
            for bad in ["../victim", "a/b", ".hidden", "", String(repeating: "a", count: 65), "acc\n1"] {
                do throws(ControlClientError) {
                    _ = try await client.send("account", arguments: ["account": .string(bad)])
                    Issue.record("\(bad) must be refused")
                } catch {
                    guard case .commandFailed(let failure) = error else {
                        Issue.record("unexpected \(error)")
                        continue
                    }
                    #expect(failure.code == .invalidArgument)
                    if !bad.isEmpty {
                        #expect(failure.message.contains("invalid account id"), "\(failure.message)")
                        #expect(failure.message.contains(InvalidAccountID.allowedShape))
                    }
                }
            }
        }
    }

    @Test func peersOutsideThePolicyAreRefused() async throws {
        let nobody = PeerAccessPolicy(allowedUIDs: [4_000_000], allowedGID: 4_000_000)
        try await withServer(access: nobody) { _, client in
            do throws(ControlClientError) {
                _ = try await client.send("ping")
                Issue.record("expected permission_denied")
            } catch {
                guard case .commandFailed(let failure) = error else {
                    Issue.record("unexpected error \(error)")
                    return
                }
                #expect(failure.code == .permissionDenied)
            }
        }
    }

    @Test func staleSocketFileIsReplacedButALiveOneIsNot() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path + "/stale.sock"
        // A socket file nobody listens on, as a crash leaves it.
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        _ = UnixSocketAddress.bind(fd, to: path)
        close(fd)
        #expect(FileManager.default.fileExists(atPath: path))
        try ControlSocketServer.removeStaleSocket(at: path)
        #expect(!FileManager.default.fileExists(atPath: path))

        // A regular file is never deleted.
        _ = FileManager.default.createFile(atPath: path, contents: Data("keep".utf8))
        #expect(throws: ControlSocketError.self) { try ControlSocketServer.removeStaleSocket(at: path) }
        #expect(FileManager.default.fileExists(atPath: path))
        try FileManager.default.removeItem(atPath: path)

        // A live socket is refused.
        try await withServer { livePath, _ in
            do {
                try ControlSocketServer.removeStaleSocket(at: livePath)
                Issue.record("a live socket must not be replaced")
            } catch let error as ControlSocketError {
                #expect(error.description.contains("already answering"))
            }
        }
    }

    @Test func clientSaysNotRunning() async throws {
        let client = ControlClient(path: "/tmp/definitely-not-here-\(UInt32.random(in: 0...UInt32.max)).sock")
        do throws(ControlClientError) {
            _ = try await client.send("status")
            Issue.record("expected notRunning")
        } catch {
            guard case .notRunning = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(error.description.hasPrefix("not running"))
        }
    }
}

/// A blocking client that sends raw lines and reads one answer per line, for malformed input.
enum RawSocket {
    /// Sends `send` as is, then reads answers for at most `readFor` or until the server closes.
    static func talk(path: String, send payload: String, readFor: Duration) async throws -> (lines: [JSONValue], closed: Bool) {
        try await BlockingCall.run { try blockingTalk(path: path, payload: payload, readFor: readFor) }
    }

    static func blockingTalk(path: String, payload: String, readFor: Duration) throws -> (lines: [JSONValue], closed: Bool) {
        let fd = try connected(to: path)
        defer { close(fd) }
        let bytes = Array(payload.utf8)
        if !bytes.isEmpty { _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
        var timeout = timeval(tv_sec: Int(readFor.components.seconds), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var closed = false
        let deadline = ContinuousClock.now + readFor
        while ContinuousClock.now < deadline {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 {
                closed = true
                break
            }
            if count < 0 { break }
            received += buffer[0..<count]
        }
        let lines = try received.split(separator: 0x0A).map { try JSONDecoder().decode(JSONValue.self, from: Data($0)) }
        return (lines, closed)
    }

    /// Sends one line on an open connection and reads one answer line (10 s at most).
    static func blockingLine(fd: Int32, send line: String) throws -> JSONValue? {
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !received.contains(0x0A) {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return nil }
            received += buffer[0..<count]
        }
        return try JSONDecoder().decode(JSONValue.self, from: Data(received.split(separator: 0x0A)[0]))
    }

    static func connected(to path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard UnixSocketAddress.connect(fd, to: path) == 0 else {
            close(fd)
            throw POSIXError(.ECONNREFUSED)
        }
        return fd
    }

    /// Runs on its own thread: blocking the (two-thread) cooperative pool would starve the server.
    static func exchange(path: String, lines: [String]) async throws -> [JSONValue] {
        try await BlockingCall.run { try blockingExchange(path: path, lines: lines) }
    }

    static func blockingExchange(path: String, lines: [String]) throws -> [JSONValue] {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        guard UnixSocketAddress.connect(fd, to: path) == 0 else { throw POSIXError(.ECONNREFUSED) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let payload = Array((lines.joined(separator: "\n") + "\n").utf8)
        var offset = 0
        while offset < payload.count {
            let written = payload[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written <= 0 { break }
            offset += written
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var answers: [JSONValue] = []
        while answers.count < lines.count {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            received += buffer[0..<count]
            while let newline = received.firstIndex(of: 0x0A) {
                let line = Data(received[..<newline])
                received.removeSubrange(...newline)
                answers.append(try JSONDecoder().decode(JSONValue.self, from: line))
            }
        }
        return answers
    }
}

/// Connects to a socket and hangs up again, as fast as it can, on its own thread.
final class ConnectHammer: Sendable {
    let path: String
    private let state = Mutex((running: false, connections: 0))

    init(path: String) {
        self.path = path
    }

    var connections: Int { state.withLock { $0.connections } }

    func start() {
        state.withLock { $0.running = true }
        Thread { [self] in
            while state.withLock({ $0.running }) {
                guard let fd = try? RawSocket.connected(to: path) else { continue }
                // Half of them send a request and leave without reading the answer.
                if Bool.random() { _ = send(fd, "{\"cmd\":\"ping\"}\n", 15, Int32(MSG_NOSIGNAL)) }
                close(fd)
                state.withLock { $0.connections += 1 }
            }
        }.start()
    }

    func stop() {
        state.withLock { $0.running = false }
    }
}
