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
    }

    public enum Failure: Error { case socket(Int32), connect(Int32), send(Int32) }

    /// Connects to 127.0.0.1:port, sends `request`, reads until the peer closes (5 s receive timeout).
    public static func exchange(port: Int, request: String) async throws -> Outcome {
        try await Task.detached { try exchangeBlocking(port: port, request: request) }.value
    }

    /// Whether something accepts TCP connections on 127.0.0.1:port.
    public static func isListening(port: Int) async throws -> Bool {
        try await Task.detached { () throws -> Bool in
            do {
                let fd = try connectBlocking(port: port)
                close(fd)
                return true
            } catch Failure.connect(let error) where error == ECONNREFUSED {
                return false
            }
        }.value
    }

    private static func connectBlocking(port: Int) throws -> Int32 {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw Failure.socket(errno) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
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
