import Foundation
import Glibc
import Logging
import QuotaCore
import QuotaTestSupport
import ServiceLifecycle
import Testing

@testable import QuotaControl

@Suite("Control sockets")
struct ControlSocketTests {
    /// Starts a control socket server with an `echo` command, runs `body`, then shuts it down
    /// gracefully and checks the socket file is gone.
    func withServer(
        access: PeerAccessPolicy = .currentProcess,
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
        let (listening, listeningContinuation) = AsyncStream.makeStream(of: Void.self)
        let server = ControlSocketServer(path: path, router: router, access: access, logger: Logger(label: "test")) {
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
            #expect(names == ["echo", "fail", "ping"])
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
            #expect(lines[1]["error"]?["message"]?.stringValue?.contains("known commands: echo, fail, help, ping") == true)
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

    @Test func oversizedLineIsRefused() async throws {
        try await withServer { path, client in
            let huge = #"{"cmd":"echo","x":""# + String(repeating: "a", count: ControlSocketServer.maximumLineLength + 10) + #""}"#
            let lines = try await RawSocket.exchange(path: path, lines: [huge])
            #expect(lines.first?["error"]?["code"] == "request_too_large")
            #expect(try await client.send("ping") == ["pong": true])
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
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
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
    /// Runs on its own thread: blocking the (two-thread) cooperative pool would starve the server.
    static func exchange(path: String, lines: [String]) async throws -> [JSONValue] {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result { try blockingExchange(path: path, lines: lines) })
            }.start()
        }
    }

    static func blockingExchange(path: String, lines: [String]) throws -> [JSONValue] {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
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
