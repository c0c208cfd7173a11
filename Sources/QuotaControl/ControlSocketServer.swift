import Glibc
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import QuotaCore
import ServiceLifecycle

/// A service's control socket: a Unix stream socket (mode 0660) answering newline-delimited JSON
/// requests with the commands of a ``ControlCommandRouter``.
///
/// A stale socket file left by a crash is replaced; a socket another live process answers on is
/// not. Peers are checked with `SO_PEERCRED` against a ``PeerAccessPolicy``. A request line may be
/// at most 1 MiB (a longer one gets a `request_too_large` answer) and must be complete within
/// ``requestLineTimeout`` (else a `timeout` answer and the connection is closed; see
/// ``RequestLineDeadline``). When descriptors run out, accepting pauses 250 ms after each failed
/// `accept` instead of spinning, and at most ``maximumConnections`` are open at once, and only
/// while they leave the service's descriptor reserve alone (``DescriptorLedger``; more are
/// closed as soon as they are accepted; ``AcceptPauseHandler``). On
/// graceful shutdown it stops accepting, lets requests in progress finish, closes idle
/// connections and removes the socket file.
public struct ControlSocketServer: Service {
    public let path: String
    let router: ControlCommandRouter
    let access: PeerAccessPolicy
    let logger: Logger
    let onListening: @Sendable () async -> Void
    /// How long a client has to send a complete request line (from connecting, or from its
    /// previous answer) before it is answered `timeout` and disconnected.
    public let requestLineTimeout: Duration
    /// Failed accepts (out of descriptors or memory), for `status`.
    public let acceptFailures: AcceptFailureCounter
    /// The most connections open at once; more are closed as soon as they are accepted.
    public let maximumConnections: Int
    /// The service's descriptors: a connection that would take the reserve is closed at once.
    public let descriptors: DescriptorLedger

    /// The default of ``maximumConnections``.
    public static let defaultMaximumConnections = DescriptorBudget.maximumControlConnections

    /// The longest request line accepted (1 MiB).
    static let maximumLineLength = 1 << 20

    public init(
        path: String,
        router: ControlCommandRouter,
        access: PeerAccessPolicy = .currentProcess,
        requestLineTimeout: Duration = .seconds(10),
        acceptFailures: AcceptFailureCounter = AcceptFailureCounter(),
        maximumConnections: Int = ControlSocketServer.defaultMaximumConnections,
        descriptors: DescriptorLedger = DescriptorLedger(),
        logger: Logger,
        onListening: @escaping @Sendable () async -> Void = {}
    ) {
        self.path = path
        self.router = router
        self.access = access
        self.requestLineTimeout = requestLineTimeout
        self.acceptFailures = acceptFailures
        self.maximumConnections = maximumConnections
        self.descriptors = descriptors
        self.logger = logger
        self.onListening = onListening
    }

    /// An accepted connection. A connection accepted just as the socket closes (graceful
    /// shutdown) may be dropped by NIO without ever being served; a never-used `NIOAsyncChannel`
    /// traps when released, so this closes such a connection properly instead.
    final class Connection: Sendable {
        let channel: NIOAsyncChannel<ControlFrame, ByteBuffer>
        let peer: PeerCredentials
        private let taken = NIOLockedValueBox(false)

        init(channel: NIOAsyncChannel<ControlFrame, ByteBuffer>, peer: PeerCredentials) {
            self.channel = channel
            self.peer = peer
        }

        /// Claims the connection for serving; `false` when it was claimed already.
        func take() -> Bool {
            taken.withLockedValue { taken in
                defer { taken = true }
                return !taken
            }
        }

        deinit {
            guard take() else { return }
            let channel = self.channel
            Task { try? await channel.executeThenClose { _, _ in } }
        }
    }

    public func run() async throws {
        try Self.removeStaleSocket(at: path)
        let lineTimeout = TimeAmount(requestLineTimeout)
        let (failures, path, logger) = (acceptFailures, self.path, self.logger)
        let limit = ControlConnectionLimit(maximum: maximumConnections, descriptors: descriptors)
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 128)
            // Ahead of the AcceptBackoffHandler the bootstrap adds: it cannot stop the busy loop.
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AcceptPauseHandler(failures: failures, limit: limit, path: path, logger: logger))
                }
            }
            // `echo '{"cmd":"status"}' | socat - UNIX-CONNECT:…` half-closes after sending; answer anyway.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .bind(unixDomainSocketPath: path) { channel in
                Self.peerCredentials(of: channel).flatMapThrowing { peer in
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(NewlineFrameDecoder(maximumLength: Self.maximumLineLength)))
                    try channel.pipeline.syncOperations.addHandler(RequestLineDeadline(timeout: lineTimeout))
                    let wrapped = try NIOAsyncChannel<ControlFrame, ByteBuffer>(wrappingChannelSynchronously: channel)
                    return Connection(channel: wrapped, peer: peer)
                }
            }
        guard chmod(path, 0o660) == 0 else {
            let code = errno
            try? await server.channel.close()
            throw ControlSocketError.systemCallFailed(path: path, call: "chmod", errno: code)
        }
        defer { unlink(path) }
        logger.debug("control socket listening", metadata: ["socket": "\(path)"])
        await onListening()

        let registry = ConnectionRegistry()
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { inbound in
                    for try await connection in inbound {
                        group.addTask { await serve(connection, registry: registry) }
                    }
                }
            }
        } onGracefulShutdown: {
            server.channel.close(promise: nil)
            registry.shutDown()
        }
    }

    private func serve(_ connection: Connection, registry: ConnectionRegistry) async {
        guard connection.take() else { return }
        let channel = connection.channel.channel
        guard access.allows(connection.peer) else {
            logger.warning(
                "control socket refused a peer that is neither root, this service's user nor in its group",
                metadata: ["peer": "\(connection.peer)", "socket": "\(path)"])
            let error = ControlError(code: .permissionDenied, message: "uid \(connection.peer.uid) may not use \(path)")
            try? await connection.channel.executeThenClose { _, outbound in
                try await outbound.write(
                    ControlLineCodec.encode(ControlResponse(id: .null, outcome: .failure(error)).json, allocator: channel.allocator))
            }
            return
        }
        let id = registry.add(channel)
        defer { registry.remove(id) }
        do {
            try await connection.channel.executeThenClose { inbound, outbound in
                for try await frame in inbound {
                    guard registry.begin(id) else { break }
                    let response: ControlResponse
                    switch frame {
                    case .line(let line):
                        response = await respond(to: line)
                    case .tooLong:
                        let error = ControlError(
                            code: .requestTooLarge, message: "a request line may be at most \(Self.maximumLineLength) bytes")
                        response = ControlResponse(id: .null, outcome: .failure(error))
                    }
                    try await outbound.write(ControlLineCodec.encode(response.json, allocator: channel.allocator))
                    guard registry.end(id) else { break }
                }
            }
        } catch {
            logger.debug("control connection ended: \(error)", metadata: ["socket": "\(path)"])
        }
    }

    private func respond(to line: ByteBuffer) async -> ControlResponse {
        let request: ControlRequest
        do {
            request = try ControlRequest(json: try ControlLineCodec.decode(line))
        } catch {
            return ControlResponse(id: error.id, outcome: .failure(error))
        }
        return await router.respond(to: request)
    }

    static func peerCredentials(of channel: any Channel) -> EventLoopFuture<PeerCredentials> {
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeSucceededFuture(PeerCredentials(pid: 0, uid: UInt32.max, gid: UInt32.max))
        }
        return provider.unsafeGetSocketOption(level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
            .map { (credentials: LinuxUcred) in
                PeerCredentials(pid: credentials.pid, uid: credentials.uid, gid: credentials.gid)
            }
    }

    /// Removes a socket file nobody answers on (left by a crash); refuses to touch a live socket or
    /// a file that is not a socket.
    static func removeStaleSocket(at path: String) throws {
        guard path.utf8.count < 108 else { throw ControlSocketError.pathTooLong(path: path) }
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else { throw ControlSocketError.notASocket(path: path) }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ControlSocketError.systemCallFailed(path: path, call: "socket", errno: errno) }
        defer { close(fd) }
        if UnixSocketAddress.connect(fd, to: path) == 0 { throw ControlSocketError.alreadyInUse(path: path) }
        guard unlink(path) == 0 || errno == ENOENT else {
            throw ControlSocketError.systemCallFailed(path: path, call: "unlink", errno: errno)
        }
    }
}

/// The open connections of a control socket and whether each is busy, so graceful shutdown can
/// close idle ones at once and busy ones right after their answer.
final class ConnectionRegistry: Sendable {
    private struct State {
        var nextID = 0
        var channels: [Int: (channel: any Channel, busy: Bool)] = [:]
        var shuttingDown = false
    }

    private let state = NIOLockedValueBox(State())

    func add(_ channel: any Channel) -> Int {
        state.withLockedValue { state in
            state.nextID += 1
            state.channels[state.nextID] = (channel, false)
            if state.shuttingDown { channel.close(promise: nil) }
            return state.nextID
        }
    }

    func remove(_ id: Int) {
        _ = state.withLockedValue { $0.channels.removeValue(forKey: id) }
    }

    /// Marks a connection busy; `false` when shutting down (the request is not started).
    func begin(_ id: Int) -> Bool {
        state.withLockedValue { state in
            guard !state.shuttingDown else { return false }
            state.channels[id]?.busy = true
            return true
        }
    }

    /// Marks a connection idle again; `false` when it should close now.
    func end(_ id: Int) -> Bool {
        state.withLockedValue { state in
            state.channels[id]?.busy = false
            return !state.shuttingDown
        }
    }

    func shutDown() {
        state.withLockedValue { state in
            state.shuttingDown = true
            for (_, entry) in state.channels where !entry.busy {
                entry.channel.close(promise: nil)
            }
        }
    }
}

/// `struct ucred` of `<sys/socket.h>` (only visible to C with `_GNU_SOURCE`), same layout.
struct LinuxUcred: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}
