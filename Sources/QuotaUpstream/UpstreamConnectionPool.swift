import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// The upstream connections of ONE event loop: HTTP/1.1 keep-alive connections, pooled per
/// scheme + host + port, reused last-in first-out.
///
/// Not `Sendable`: create it, call it and shut it down on its event loop only. Requests go out
/// from the loop they are executed on, with no thread hop, no `Task`, no lock and no copy of the
/// body; connections are made with `ClientBootstrap(group: eventLoop)`, so they live on the same
/// loop. Use ``UpstreamPools`` to get the pool of the loop a client request arrived on (and keep
/// the pool reference per client channel to skip even that lookup).
///
/// Stale connections: a keep-alive connection that the upstream closes while idle is dropped as
/// soon as the close is seen. If a request is written to a connection that turns out to be dead
/// before any byte of the response arrived, it is sent once more on a new connection; never
/// after response bytes arrived.
public final class UpstreamConnectionPool {
    /// The loop this pool and all of its connections belong to.
    public let eventLoop: any EventLoop
    /// The pool's settings.
    public let configuration: UpstreamPoolConfiguration

    /// Connections parked in the idle lists, ready for reuse.
    public private(set) var idleConnectionCount = 0
    /// Connections open or being opened (idle + busy + connecting).
    public private(set) var openConnectionCount = 0

    private(set) var isShutdown = false
    private let tlsContextCache: TLSContextCache
    private var sslContext: NIOSSLContext?
    private var origins: [ConnectionKey: OriginConnections] = [:]
    /// Exchanges waiting for a new connection, to fail them on shutdown.
    private var connecting: [ObjectIdentifier: UpstreamExchange] = [:]
    private var shutdownPromise: EventLoopPromise<Void>?
    private var shutdownCompleted = false
    /// Nesting depth of `execute`: failures found while it runs are delivered on the next loop tick.
    private var executeDepth = 0

    /// Creates a stand-alone pool with its own TLS context. Prefer ``UpstreamPools``, which
    /// shares one TLS context between the pools of all loops.
    public convenience init(eventLoop: any EventLoop, configuration: UpstreamPoolConfiguration = .init()) {
        self.init(
            eventLoop: eventLoop,
            configuration: configuration,
            tlsContextCache: TLSContextCache(configuration: configuration.tlsConfiguration)
        )
    }

    init(eventLoop: any EventLoop, configuration: UpstreamPoolConfiguration, tlsContextCache: TLSContextCache) {
        self.eventLoop = eventLoop
        self.configuration = configuration
        self.tlsContextCache = tlsContextCache
    }

    /// Sends `request` upstream and reports the response to `delegate`, on this pool's loop.
    ///
    /// Takes the most recently used idle connection to the origin, or opens a new one (up to
    /// ``UpstreamPoolConfiguration/maxConnectionsPerOrigin``; beyond it the exchange fails with
    /// ``UpstreamError/poolExhausted(origin:limit:)``). The delegate is never called from inside
    /// this method: a failure found here is reported on the next loop tick.
    ///
    /// - Precondition: called on ``eventLoop``.
    /// - Returns: The exchange, to cancel it or to pause and resume reading.
    public func execute(_ request: consuming UpstreamRequest, delegate: any UpstreamResponseDelegate) -> UpstreamExchange {
        self.eventLoop.preconditionInEventLoop()
        let key = ConnectionKey(request.origin)
        let origin = self.origins[key] ?? self.makeOriginConnections(key: key, origin: request.origin)
        let invalid = request.prepareForWire()
        let exchange = UpstreamExchange(pool: self, request: request, origin: origin, delegate: delegate)
        self.executeDepth += 1
        defer { self.executeDepth -= 1 }
        if let invalid {
            self.fail(exchange, invalid)
        } else if self.isShutdown {
            self.fail(exchange, .shutdown)
        } else {
            self.dispatch(exchange, origin: origin, allowIdle: true)
        }
        return exchange
    }

    /// Closes all connections, fails the exchanges in flight with ``UpstreamError/shutdown``
    /// and makes later `execute` calls fail the same way. The future succeeds once every
    /// connection (including those still being established) is gone.
    ///
    /// - Precondition: called on ``eventLoop``.
    public func shutdown() -> EventLoopFuture<Void> {
        self.eventLoop.preconditionInEventLoop()
        if let promise = self.shutdownPromise {
            return promise.futureResult
        }
        self.isShutdown = true
        let promise = self.eventLoop.makePromise(of: Void.self)
        self.shutdownPromise = promise
        for exchange in Array(self.connecting.values) {
            exchange.fail(.shutdown)
        }
        for origin in Array(self.origins.values) {
            for connection in Array(origin.connections.values) {
                connection.close(reason: .shutdown)
            }
        }
        self.completeShutdownIfDone()
        return promise.futureResult
    }

    // MARK: - Internals used by connections and exchanges

    /// Fails an exchange, deferring to the next tick while `execute` is running.
    func fail(_ exchange: UpstreamExchange, _ error: UpstreamError) {
        if self.executeDepth > 0 {
            self.eventLoop.assumeIsolated().execute {
                exchange.fail(error)
            }
        } else {
            exchange.fail(error)
        }
    }

    /// Sends the exchange again, on a new connection (the one transparent retry).
    func retry(_ exchange: UpstreamExchange) {
        exchange.retried = true
        if self.isShutdown {
            self.fail(exchange, .shutdown)
        } else {
            self.dispatch(exchange, origin: exchange.origin, allowIdle: false)
        }
    }

    func connectionDidBecomeIdle(_ connection: UpstreamConnection) {
        connection.origin.idle.append(connection)
        self.idleConnectionCount += 1
        connection.didBecomeIdle()
    }

    func connectionDidClose(_ connection: UpstreamConnection, wasIdle: Bool) {
        let origin = connection.origin
        if wasIdle, let index = origin.idle.lastIndex(where: { $0 === connection }) {
            origin.idle.remove(at: index)
            self.idleConnectionCount -= 1
        }
        origin.connections.removeValue(forKey: ObjectIdentifier(connection))
        origin.openCount -= 1
        self.openConnectionCount -= 1
        self.completeShutdownIfDone()
    }

    // MARK: - Private

    private func makeOriginConnections(key: ConnectionKey, origin: UpstreamOrigin) -> OriginConnections {
        let connections = OriginConnections(origin: origin)
        self.origins[key] = connections
        return connections
    }

    private func dispatch(_ exchange: UpstreamExchange, origin: OriginConnections, allowIdle: Bool) {
        if allowIdle, let connection = origin.idle.popLast() {
            self.idleConnectionCount -= 1
            connection.start(exchange)
            return
        }
        guard origin.openCount < self.configuration.maxConnectionsPerOrigin else {
            self.fail(
                exchange,
                .poolExhausted(origin: exchange.request.origin, limit: self.configuration.maxConnectionsPerOrigin)
            )
            return
        }
        self.connect(exchange, origin: origin)
    }

    private func currentSSLContext() -> Result<NIOSSLContext, UpstreamError> {
        if let sslContext = self.sslContext {
            return .success(sslContext)
        }
        let result = self.tlsContextCache.sslContext()
        if case .success(let context) = result {
            self.sslContext = context
        }
        return result
    }

    private func connect(_ exchange: UpstreamExchange, origin: OriginConnections) {
        var sslContext: NIOSSLContext?
        if origin.origin.scheme == .https {
            switch self.currentSSLContext() {
            case .success(let context):
                sslContext = context
            case .failure(let error):
                self.fail(exchange, error)
                return
            }
        }
        origin.openCount += 1
        self.openConnectionCount += 1
        self.connecting[ObjectIdentifier(exchange)] = exchange

        let bound = NIOLoopBound((self, origin), eventLoop: self.eventLoop)
        let serverHostname = origin.serverHostname
        let tlsContext = sslContext
        let bootstrap = ClientBootstrap(group: self.eventLoop)
            .connectTimeout(exchange.request.timeouts.connect)
            .channelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tlsContext {
                        try pipeline.addHandler(NIOSSLClientHandler(context: tlsContext, serverHostname: serverHostname))
                    }
                    // UpstreamConnection writes requests as bytes (validated in `execute`) and
                    // parses responses itself (HTTPResponseParser): no HTTP codec in between.
                    let (pool, origin) = bound.value
                    try pipeline.addHandler(UpstreamConnection(pool: pool, origin: origin))
                }
            }
        let future: EventLoopFuture<any Channel>
        if let address = origin.address {
            future = bootstrap.connect(to: address)
        } else {
            future = bootstrap.connect(host: origin.origin.host, port: origin.origin.port)
        }
        future.assumeIsolated().whenComplete { result in
            self.connectDidComplete(result, exchange: exchange, origin: origin)
        }
    }

    private func connectDidComplete(
        _ result: Result<any Channel, any Error>,
        exchange: UpstreamExchange,
        origin: OriginConnections
    ) {
        self.connecting.removeValue(forKey: ObjectIdentifier(exchange))
        switch result {
        case .success(let channel):
            guard let connection = try? channel.pipeline.syncOperations.handler(type: UpstreamConnection.self),
                connection.didConnect()
            else {
                origin.openCount -= 1
                self.openConnectionCount -= 1
                channel.close(promise: nil)
                self.completeShutdownIfDone()
                if !exchange.isDone {
                    self.fail(exchange, .connectionReset(beforeResponseHead: true))
                }
                return
            }
            origin.connections[ObjectIdentifier(connection)] = connection
            if self.isShutdown {
                connection.close(reason: .shutdown)
            } else if exchange.isDone {
                // Cancelled while connecting: keep the fresh connection for the next request.
                self.connectionDidBecomeIdle(connection)
            } else {
                connection.start(exchange)
            }
        case .failure(let error):
            origin.openCount -= 1
            self.openConnectionCount -= 1
            self.completeShutdownIfDone()
            if !exchange.isDone {
                self.fail(exchange, Self.mapConnectError(error, origin: exchange.request.origin))
            }
        }
    }

    private static func mapConnectError(_ error: any Error, origin: UpstreamOrigin) -> UpstreamError {
        switch error {
        case ChannelError.connectTimeout:
            return .connectTimeout(origin: origin)
        case is NIOSSLError, is NIOSSLExtraError, is BoringSSLError:
            return .tlsFailure(String(describing: error), beforeResponseHead: true)
        default:
            return .connectFailed(origin: origin, underlying: plainReason(error))
        }
    }

    /// Why a connection could not be made, as a few plain words (`connection refused`, `the host
    /// name could not be resolved`) rather than NIO's description of its internals.
    static func plainReason(_ error: any Error) -> String {
        switch error {
        case let error as NIOConnectionError:
            var reasons: [String] = []
            for failure in error.connectionErrors {
                let reason = plainReason(failure.error)
                if !reasons.contains(reason) { reasons.append(reason) }
            }
            if reasons.isEmpty {
                return error.dnsAError != nil || error.dnsAAAAError != nil
                    ? "the host name \(error.host) could not be resolved" : "no address to connect to for \(error.host)"
            }
            return reasons.joined(separator: "; ")
        case let error as IOError:
            return String(cString: strerror(error.errnoCode)).lowercased()
        default:
            return String(describing: error)
        }
    }

    private func completeShutdownIfDone() {
        guard self.isShutdown, !self.shutdownCompleted, self.openConnectionCount == 0,
            let promise = self.shutdownPromise
        else { return }
        self.shutdownCompleted = true
        promise.succeed(())
    }
}

@available(*, unavailable)
extension UpstreamConnectionPool: Sendable {}

/// The connections of one pool to one scheme + host + port.
final class OriginConnections {
    /// The origin first seen for this key (its base path is irrelevant here).
    let origin: UpstreamOrigin
    /// The `Host` header value.
    let hostHeader: String
    /// The socket address when the host is an IP literal (no DNS lookup needed).
    let address: SocketAddress?
    /// The TLS SNI name; `nil` for IP literals (then the certificate is checked against the IP).
    let serverHostname: String?
    /// Idle connections; the last one is the most recently used.
    var idle: [UpstreamConnection] = []
    /// All registered (connected) connections, idle or busy.
    var connections: [ObjectIdentifier: UpstreamConnection] = [:]
    /// Connections open or being opened.
    var openCount = 0

    init(origin: UpstreamOrigin) {
        self.origin = origin
        self.hostHeader = origin.hostHeaderValue
        let address = origin.hostIsIPAddress ? try? SocketAddress(ipAddress: origin.host, port: origin.port) : nil
        self.address = address
        self.serverHostname = address == nil ? origin.host : nil
    }
}

@available(*, unavailable)
extension OriginConnections: Sendable {}
