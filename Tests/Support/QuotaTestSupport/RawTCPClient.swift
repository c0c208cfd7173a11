import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A minimal blocking TCP client for checking what happens below HTTP.
public enum RawTCPClient {
    public struct Outcome: Sendable {
        /// Bytes read before the connection ended.
        public var received: [UInt8]
        /// Whether the peer closed (orderly or by reset).
        public var closed: Bool

        public init(received: [UInt8], closed: Bool) {
            self.received = received
            self.closed = closed
        }
    }

    public enum Failure: Error { case socket(Int32), connect(Int32), send(Int32) }

    /// Connects to 127.0.0.1:port, sends `request`, reads until the peer closes (5 s receive timeout).
    public static func exchange(port: Int, request: String) async throws -> Outcome {
        try await onThread { try exchangeBlocking(port: port, request: request) }
    }

    /// Whether something accepts TCP connections on 127.0.0.1:port.
    public static func isListening(port: Int) async throws -> Bool {
        try await onThread { () throws -> Bool in
            do {
                let fd = try connectBlocking(port: port)
                close(fd)
                return true
            } catch Failure.connect(let error) where error == ECONNREFUSED {
                return false
            }
        }
    }

    /// Runs blocking socket work on a thread of its own: blocking one of the few threads of Swift
    /// concurrency's cooperative pool would stall every other task of the test process.
    public static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await BlockingCall.run(body)
    }

    /// One open connection for tests that read at their own pace (blocking calls: use it from
    /// a detached task or a thread, not from a cooperative task that others wait on).
    public final class Connection: @unchecked Sendable {
        public let fd: Int32

        /// Connects to 127.0.0.1:port; reads time out after `receiveTimeoutMilliseconds`.
        public init(port: Int, receiveTimeoutMilliseconds: Int = 5000, receiveBufferBytes: Int? = nil) throws {
            fd = try RawTCPClient.connectBlocking(
                port: port, receiveTimeoutMilliseconds: receiveTimeoutMilliseconds, receiveBufferBytes: receiveBufferBytes)
        }

        /// Connects to 127.0.0.1:port on a thread of its own (a `connect` can block while the
        /// server's backlog is full), for use from async tests.
        public static func open(port: Int, receiveTimeoutMilliseconds: Int = 5000, receiveBufferBytes: Int? = nil) async throws
            -> Connection
        {
            try await BlockingCall.run {
                try Connection(port: port, receiveTimeoutMilliseconds: receiveTimeoutMilliseconds, receiveBufferBytes: receiveBufferBytes)
            }
        }

        /// Reads until the peer closes (or resets); `closed` is false when a read timed out first.
        public func receiveUntilClosed() -> Outcome {
            var received: [UInt8] = []
            while true {
                guard let piece = receive() else {
                    return Outcome(received: received, closed: lastError == ECONNRESET)
                }
                if piece.isEmpty { return Outcome(received: received, closed: true) }
                received += piece
            }
        }

        deinit {
            close(fd)
        }

        public func send(_ text: String) throws {
            try send(Array(text.utf8))
        }

        public func send(_ bytes: [UInt8]) throws {
            var offset = 0
            while offset < bytes.count {
                let sent = bytes[offset...].withUnsafeBytes { sendWithoutSignal(fd, $0) }
                guard sent > 0 else { throw Failure.send(errno) }
                offset += sent
            }
        }

        /// The `errno` of the last failed ``receive(maximum:)`` (`EAGAIN`: timed out; `ECONNRESET`).
        public private(set) var lastError: Int32 = 0

        /// Up to `maximum` bytes; empty when the peer closed, `nil` on a timeout or a reset.
        public func receive(maximum: Int = 65536) -> [UInt8]? {
            var buffer = [UInt8](repeating: 0, count: maximum)
            while true {
                let count = recv(fd, &buffer, maximum, 0)
                if count >= 0 { return Array(buffer[0..<count]) }
                let error = errno
                if error == EINTR { continue }
                lastError = error
                return nil
            }
        }
    }

    private static func connectBlocking(port: Int, receiveTimeoutMilliseconds: Int = 5000, receiveBufferBytes: Int? = nil) throws -> Int32 {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw Failure.socket(errno) }
        var timeout = timeval(tv_sec: receiveTimeoutMilliseconds / 1000, tv_usec: (receiveTimeoutMilliseconds % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        if var size = receiveBufferBytes.map(Int32.init) {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let error = errno
            close(fd)
            throw Failure.connect(error)
        }
        return fd
    }

    private static func exchangeBlocking(port: Int, request: String) throws -> Outcome {
        let fd = try connectBlocking(port: port)
        defer { close(fd) }
        let bytes = Array(request.utf8)
        guard send(fd, bytes, bytes.count, 0) == bytes.count else { throw Failure.send(errno) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count > 0 {
                received += buffer[0..<count]
                continue
            }
            if count == 0 { return Outcome(received: received, closed: true) }
            let error = errno
            if error == EINTR { continue }
            // ECONNRESET: the RST sent by the reset fault. EAGAIN: timed out, still open.
            return Outcome(received: received, closed: error == ECONNRESET)
        }
    }
}

/// `send(2)` without SIGPIPE when the peer has closed (the error comes back as `EPIPE`).
private func sendWithoutSignal(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
    #if os(Linux)
    send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
    #else
    send(fd, bytes.baseAddress, bytes.count, 0)
    #endif
}
