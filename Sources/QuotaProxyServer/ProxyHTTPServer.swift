import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The client-facing HTTP/1.1 listener.
///
/// A one-handler NIO pipeline: ``ProxyRequestHandler`` parses requests and writes responses as
/// bytes, answers malformed requests, serves pipelined requests in order and closes idle
/// connections so a request is handled where it arrives, without a task per request.
/// Graceful shutdown stops accepting, lets responses in progress finish (idle keep-alive
/// connections close at once) and force-closes what is left after `shutdownGrace`.
///
/// The listening channel closes connections beyond `listen.max_connections` as soon as they are
/// accepted and, when accepting fails for want of descriptors (`EMFILE`/`ENFILE`) or memory,
/// stops accepting for a moment rather than retrying in a busy loop (``ConnectionGateHandler``).
final class ProxyHTTPServer: Sendable {
    let host: String
    let port: Int
    let group: any EventLoopGroup
    let logger: Logger
    let makeHandler: @Sendable () -> ProxyRequestHandler
    let limit: ClientConnectionLimit
    private let connections = Mutex<[ObjectIdentifier: any Channel]>([:])

    init(
        host: String, port: Int, group: any EventLoopGroup, logger: Logger, limit: ClientConnectionLimit,
        makeHandler: @escaping @Sendable () -> ProxyRequestHandler
    ) {
        self.host = host
        self.port = port
        self.group = group
        self.logger = logger
        self.limit = limit
        self.makeHandler = makeHandler
    }

    /// Binds the listener; returns the bound channel.
    func bind() async throws -> any Channel {
        let makeHandler = self.makeHandler
        let limit = self.limit
        let logger = self.logger
        return try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ConnectionGateHandler(limit: limit, logger: logger))
                }
            }
            // tcpOption, not socketOption: the latter would set SOL_SOCKET option 1 (SO_DEBUG), which
            // needs CAP_NET_ADMIN and fails every connection under the hardened unit.
            .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    // No HTTP codec: the handler parses requests (HTTPRequestParser) and writes
                    // responses (ClientResponseWriter) as bytes.
                    try channel.pipeline.syncOperations.addHandler(makeHandler())
                    track(channel)
                }
            }
            .bind(host: host, port: port)
            .get()
    }

    private func track(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        connections.withLock { $0[id] = channel }
        channel.closeFuture.whenComplete { [self] _ in
            _ = connections.withLock { $0.removeValue(forKey: id) }
        }
    }

    var openConnections: Int {
        connections.withLock { $0.count }
    }

    /// Stops accepting and drains the open connections.
    func shutDown(listener: any Channel, grace: Duration = .seconds(25)) async {
        try? await listener.close()
        let open = connections.withLock { Array($0.values) }
        for channel in open {
            channel.pipeline.fireUserInboundEventTriggered(ProxyShutdownEvent())
        }
        let deadline = ContinuousClock.now + grace
        while openConnections > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        let left = connections.withLock { Array($0.values) }
        if !left.isEmpty {
            logger.warning("closing \(left.count) connections that did not finish within \(grace)")
            for channel in left { channel.close(promise: nil) }
        }
    }
}
