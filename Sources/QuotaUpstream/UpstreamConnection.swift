import NIOCore
import NIOHTTP1
import NIOSSL
import QuotaHTTP

/// One keep-alive HTTP/1.1 connection to an upstream: the last handler of its channel pipeline
/// (`[NIOSSLClientHandler] → this`: requests go out as bytes, responses are parsed here by
/// ``HTTPResponseParser``),
/// and the pool's record of it.
///
/// Lifecycle: `connecting` (created by the channel initializer; a Happy Eyeballs attempt that
/// loses stays here and is ignored) → `leased` (carrying an exchange) ⇄ `idle` (in the pool's
/// LIFO idle list) → `closed`. Everything runs on the pool's event loop.
///
/// Timers: one scheduled callback per connection at most, armed lazily. The deadline that matters
/// (response head, body idle gap, or idle-in-pool expiry) is recomputed when the callback fires;
/// if it moved later the callback is simply re-armed, so a request costs no timer work unless
/// its deadline is earlier than the one already armed.
final class UpstreamConnection: ChannelDuplexHandler, NIOScheduledCallbackHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    enum State {
        case connecting
        case idle
        case leased
        case closed
    }

    /// Request bodies up to this size are copied behind the head and sent in one write.
    static let copiedBodyLimit = 16 * 1024

    private(set) var state: State = .connecting
    let pool: UpstreamConnectionPool
    let origin: OriginConnections
    private var context: ChannelHandlerContext?

    private(set) var exchange: UpstreamExchange?
    /// Number of responses completed on this connection.
    private(set) var completedRequests = 0
    private var parser = HTTPResponseParser()
    /// A `read()` was held back because the exchange is paused.
    private(set) var isReadSuppressed = false

    private var headDeadline = NIODeadline.uptimeNanoseconds(0)
    private var lastActivity = NIODeadline.uptimeNanoseconds(0)
    private var idleSince = NIODeadline.uptimeNanoseconds(0)
    private var armedDeadline: NIODeadline?
    private var armedCallback: NIOScheduledCallback?

    init(pool: UpstreamConnectionPool, origin: OriginConnections) {
        self.pool = pool
        self.origin = origin
    }

    // MARK: - Pool interface

    /// The connect future succeeded: the connection is known to the pool from now on.
    /// Returns `false` when the channel is already gone.
    func didConnect() -> Bool {
        guard self.state == .connecting, let context = self.context, context.channel.isActive else {
            return false
        }
        self.state = .idle
        return true
    }

    /// Sends the exchange's request on this (idle, just leased) connection.
    func start(_ exchange: UpstreamExchange) {
        precondition(self.state == .idle && self.exchange == nil, "connection leased twice")
        self.state = .leased
        self.exchange = exchange
        exchange.connection = self
        exchange.onReusedConnection = self.completedRequests > 0
        self.headDeadline = .now() + exchange.request.timeouts.responseHead

        guard let context = self.context else {
            self.close(reason: .connectionReset(beforeResponseHead: true))
            return
        }
        // A small body is copied behind the head (one write); a large one is written as it is.
        let bodyBytes = exchange.request.body?.readableBytes ?? 0
        let together = bodyBytes <= Self.copiedBodyLimit
        let head = exchange.request.wireHead(
            hostHeader: self.origin.hostHeader, allocator: context.channel.allocator, includingBody: together)
        context.write(self.wrapOutboundOut(.byteBuffer(head)), promise: nil)
        if !together, let body = exchange.request.body {
            context.write(self.wrapOutboundOut(.byteBuffer(body)), promise: nil)
        }
        context.flush()
        // Writing may have failed synchronously and closed the connection (and retried elsewhere).
        if self.exchange === exchange {
            self.ensureTimer()
        }
    }

    /// Parks the connection in the pool's idle list (called by the pool).
    func didBecomeIdle() {
        self.state = .idle
        self.idleSince = .now()
        if self.isReadSuppressed {
            // Keep reading while idle so that a close by the server is noticed at once.
            self.isReadSuppressed = false
            self.context?.read()
        }
        self.ensureTimer()
    }

    /// The exchange was cancelled: this connection is not reused.
    func exchangeWasCancelled(_ exchange: UpstreamExchange) {
        guard self.exchange === exchange else { return }
        self.exchange = nil
        self.close(reason: nil)
    }

    /// The exchange's delegate resumed reading.
    func exchangeDidResume() {
        self.lastActivity = .now()
        if self.isReadSuppressed {
            self.isReadSuppressed = false
            self.context?.read()
        }
        self.ensureTimer()
    }

    /// Closes the connection; the exchange on it (if any) fails with `reason`, or is retried once
    /// on a fresh connection when a reused connection turned out to be dead before any response
    /// byte arrived. Idempotent.
    func close(reason: UpstreamError?) {
        guard self.state != .closed else { return }
        let wasIdle = self.state == .idle
        let wasRegistered = self.state != .connecting
        self.state = .closed
        self.cancelTimer()
        if wasRegistered {
            self.pool.connectionDidClose(self, wasIdle: wasIdle)
        }
        let exchange = self.exchange
        self.exchange = nil
        exchange?.connection = nil
        self.context?.close(promise: nil)

        guard let exchange, !exchange.isDone else { return }
        let error = reason ?? .connectionReset(beforeResponseHead: !exchange.headReceived)
        if case .connectionReset(beforeResponseHead: true) = error, exchange.onReusedConnection, !exchange.retried,
            !exchange.responseBytesSeen
        {
            // A keep-alive connection the server had already closed: nothing of the response was
            // received, so the request never reached a live server. Retry once, on a new connection.
            self.pool.retry(exchange)
        } else {
            self.pool.fail(exchange, error)
        }
    }

    // MARK: - Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        switch self.state {
        case .connecting:
            // A Happy Eyeballs attempt that lost, or a connect that failed: the pool learns
            // about it from the connect future.
            self.state = .closed
        case .leased:
            if self.parser.endOfInput(), let exchange = self.exchange {
                // A body delimited by the end of the connection is complete now.
                self.completeResponse(exchange, context: context)
            } else {
                self.close(reason: nil)
            }
        case .idle:
            self.close(reason: nil)
        case .closed:
            break
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let sslError = error as? NIOSSLError, case .uncleanShutdown = sslError {
            // The peer closed TCP without close_notify. Framing errors (a body cut short) are
            // reported by the HTTP decoder; a close-delimited body simply ends here.
            return
        }
        guard self.state == .idle || self.state == .leased else {
            context.close(promise: nil)
            return
        }
        let beforeHead = !(self.exchange?.headReceived ?? false)
        self.close(reason: Self.map(error, beforeResponseHead: beforeHead))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard self.state == .leased, let exchange = self.exchange else {
            // Bytes nobody asked for (on an idle connection): the connection is out of sync.
            if self.state == .idle {
                self.close(reason: nil)
            }
            return
        }
        let bytes = self.unwrapInboundIn(data)
        exchange.responseBytesSeen = true
        self.lastActivity = .now()
        var ended = false
        let leftover: Int
        do {
            leftover = try self.parser.feed(bytes, requestIsHEAD: exchange.request.head.method == .HEAD) { event in
                // The delegate may cancel the exchange from a callback (which closes this connection).
                guard self.exchange === exchange else { return }
                switch event {
                case .head(let head):
                    exchange.receiveHead(head)
                case .body(let part):
                    exchange.receiveBodyPart(part)
                case .end:
                    ended = true
                }
            }
        } catch {
            self.close(reason: .malformedResponse(error.description, beforeResponseHead: !exchange.headReceived))
            return
        }
        guard self.exchange === exchange else { return }
        if ended {
            self.completeResponse(exchange, context: context)
            if leftover > 0 {
                // More than the response: the upstream is out of step with us.
                self.close(reason: nil)
            }
        } else {
            self.ensureTimer()
        }
    }

    /// The response is complete: the connection goes back to the pool (or closes), then the
    /// exchange learns the end.
    private func completeResponse(_ exchange: UpstreamExchange, context: ChannelHandlerContext) {
        self.completedRequests += 1
        self.exchange = nil
        exchange.connection = nil
        if self.parser.isKeepAlive, !self.pool.isShutdown, context.channel.isActive {
            self.pool.connectionDidBecomeIdle(self)
        } else {
            self.close(reason: nil)
        }
        exchange.receiveEnd()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // After `.end` the exchange is already detached (its finish flushed what it wrote).
        self.exchange?.receiveReadComplete()
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        if self.state == .leased, let exchange = self.exchange, exchange.isPaused {
            self.isReadSuppressed = true
            return
        }
        context.read()
    }

    // MARK: - Timer

    private func requiredDeadline() -> NIODeadline? {
        switch self.state {
        case .idle:
            return self.idleSince + self.pool.configuration.idleConnectionTimeout
        case .leased:
            guard let exchange = self.exchange else { return nil }
            if !exchange.headReceived {
                return self.headDeadline
            }
            if exchange.isPaused {
                return nil
            }
            return self.lastActivity + exchange.request.timeouts.idle
        case .connecting, .closed:
            return nil
        }
    }

    private func ensureTimer() {
        guard let required = self.requiredDeadline() else { return }
        if let armed = self.armedDeadline {
            if armed <= required {
                return  // fires early, then re-arms
            }
            self.armedCallback?.cancel()
        }
        self.armedDeadline = nil
        self.armedCallback = nil
        if let callback = try? self.pool.eventLoop.assumeIsolated().scheduleCallback(at: required, handler: self) {
            self.armedDeadline = required
            self.armedCallback = callback
        }
    }

    private func cancelTimer() {
        if let callback = self.armedCallback {
            self.armedCallback = nil
            self.armedDeadline = nil
            callback.cancel()
        }
    }

    func handleScheduledCallback(eventLoop: some EventLoop) {
        self.armedDeadline = nil
        self.armedCallback = nil
        guard let required = self.requiredDeadline() else { return }
        if required > .now() {
            self.ensureTimer()
            return
        }
        switch self.state {
        case .idle:
            self.close(reason: nil)
        case .leased:
            let headReceived = self.exchange?.headReceived ?? false
            self.close(reason: headReceived ? .idleTimeout : .responseHeadTimeout)
        case .connecting, .closed:
            break
        }
    }

    // MARK: - Errors

    static func map(_ error: any Error, beforeResponseHead: Bool) -> UpstreamError {
        switch error {
        case let error as UpstreamError:
            return error
        case is NIOSSLError, is NIOSSLExtraError, is BoringSSLError:
            return .tlsFailure(String(describing: error), beforeResponseHead: beforeResponseHead)
        default:
            return .connectionReset(beforeResponseHead: beforeResponseHead)
        }
    }
}

@available(*, unavailable)
extension UpstreamConnection: Sendable {}
