import Glibc
import NIOCore
import NIOPosix
import QuotaCore

/// Talks to a service's control socket: one request, one answer, per call.
public struct ControlClient: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// Sends a command and returns its result, or throws why not.
    ///
    /// - Parameter timeout: how long to wait for the answer (a warmup waits for an upstream request).
    public func send(_ request: ControlRequest, timeout: Duration = .seconds(10)) async throws(ControlClientError) -> JSONValue {
        try checkSocketFile()
        let response: ControlResponse
        do {
            response = try await withThrowingTaskGroup(of: ControlResponse?.self) { group in
                group.addTask { try await exchange(request) }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let response = first else {
                    throw ControlClientError.timedOut(path: path, after: timeout)
                }
                return response
            }
        } catch let error as ControlClientError {
            throw error
        } catch let error as IOError {
            throw classify(errno: error.errnoCode)
        } catch let error as NIOConnectionError {
            let code = error.connectionErrors.lazy.compactMap { ($0.error as? IOError)?.errnoCode }.first
            throw code.map { classify(errno: $0) } ?? ControlClientError.notRunning(path: path)
        } catch {
            throw ControlClientError.transport(path: path, message: "\(error)")
        }
        switch response.outcome {
        case .success(let result): return result
        case .failure(let error): throw ControlClientError.commandFailed(error)
        }
    }

    /// Convenience for `send(ControlRequest(command:arguments:))`.
    public func send(
        _ command: String, arguments: [String: JSONValue] = [:], timeout: Duration = .seconds(10)
    ) async throws(ControlClientError) -> JSONValue {
        try await send(ControlRequest(id: 1, command: command, arguments: arguments), timeout: timeout)
    }

    private func exchange(_ request: ControlRequest) async throws -> ControlResponse {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(unixDomainSocketPath: path) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(NewlineFrameDecoder(maximumLength: 64 << 20)))
                    return try NIOAsyncChannel<ControlFrame, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ControlLineCodec.encode(request.json, allocator: channel.channel.allocator))
            for try await frame in inbound {
                guard case .line(let line) = frame else {
                    throw ControlClientError.transport(path: path, message: "the answer is larger than 64 MiB")
                }
                return try ControlResponse(json: try ControlLineCodec.decode(line))
            }
            throw ControlClientError.transport(path: path, message: "the service closed the connection without answering")
        }
    }

    private func checkSocketFile() throws(ControlClientError) {
        var info = stat()
        guard stat(path, &info) == 0 else { throw classify(errno: errno) }
        guard access(path, R_OK | W_OK) == 0 else { throw classify(errno: errno) }
    }

    private func classify(errno code: Int32) -> ControlClientError {
        switch code {
        case ENOENT, ECONNREFUSED, ENOTSOCK: .notRunning(path: path)
        case EACCES, EPERM: .permissionDenied(path: path)
        default: .transport(path: path, message: String(cString: strerror(code)))
        }
    }
}

/// Why a control request got no successful answer.
public enum ControlClientError: Error, Sendable, CustomStringConvertible {
    /// Nothing answers on the socket: the service is not running.
    case notRunning(path: String)
    /// This user may not open the socket (not root, not in group quota-proxy).
    case permissionDenied(path: String)
    /// No answer within the timeout.
    case timedOut(path: String, after: Duration)
    /// The connection failed or the answer was not a control response.
    case transport(path: String, message: String)
    /// The service answered with an error.
    case commandFailed(ControlError)

    public var description: String {
        switch self {
        case .notRunning(let path): "not running (no service answers on \(path))"
        case .permissionDenied(let path): "permission denied on \(path): run as root or as a member of group quota-proxy"
        case .timedOut(let path, let after): "no answer from \(path) within \(after)"
        case .transport(let path, let message): "\(path): \(message)"
        case .commandFailed(let error): error.message
        }
    }
}
