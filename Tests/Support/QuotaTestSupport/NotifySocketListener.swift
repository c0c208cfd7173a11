import Foundation
import Glibc
import Synchronization

/// Plays systemd's side of `sd_notify` in tests: a datagram socket at a temporary path (pass
/// ``path`` as `NOTIFY_SOCKET`), collecting every message a service sends.
///
/// Each message is recorded with whether a given file (the service's control socket) existed at
/// the moment it arrived, so a test can prove `READY=1` came only after the socket was up.
public final class NotifySocketListener: Sendable {
    public struct Message: Sendable, CustomStringConvertible {
        /// The `KEY=VALUE` assignments of the datagram.
        public var assignments: [String]
        /// Whether the watched file existed when the datagram arrived.
        public var watchedFileExisted: Bool

        public func value(of key: String) -> String? {
            assignments.first { $0.hasPrefix(key + "=") }.map { String($0.dropFirst(key.count + 1)) }
        }

        public var description: String { assignments.joined(separator: " ") }
    }

    public let path: String
    private let fd: Int32
    private let watchedFile: String?
    private let state = Mutex<(messages: [Message], closed: Bool)>(([], false))

    /// Binds the socket and starts a reader thread.
    public init(directory: String, watching watchedFile: String? = nil) throws {
        self.path = directory + "/notify.sock"
        self.watchedFile = watchedFile
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let thread = Thread { [self] in self.readLoop() }
        thread.start()
    }

    private func readLoop() {
        var buffer = [UInt8](repeating: 0, count: 8192)
        while !state.withLock({ $0.closed }) {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { continue }
            let existed = watchedFile.map { access($0, F_OK) == 0 } ?? false
            let text = String(decoding: buffer[0..<count], as: UTF8.self)
            let message = Message(assignments: text.split(separator: "\n").map(String.init), watchedFileExisted: existed)
            state.withLock { $0.messages.append(message) }
        }
        close(fd)
    }

    /// Every message received so far.
    public var messages: [Message] {
        state.withLock { $0.messages }
    }

    /// Waits until a message containing `assignment` (e.g. `READY=1`) has arrived after the first
    /// `skipping` messages, polling every few milliseconds; `nil` after `timeout`.
    public func waitFor(_ assignment: String, after skipping: Int = 0, timeout: Duration = .seconds(30)) async -> Message? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let message = messages.dropFirst(skipping).first(where: { $0.assignments.contains(assignment) }) {
                return message
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    public func stop() {
        state.withLock { $0.closed = true }
        unlink(path)
    }

    deinit {
        state.withLock { $0.closed = true }
    }
}
