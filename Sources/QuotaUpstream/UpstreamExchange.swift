import NIOCore
import NIOHTTP1

/// One in-flight request/response exchange, returned by ``UpstreamConnectionPool/execute(_:delegate:)``:
/// use it to cancel the exchange or to apply backpressure.
///
/// Not `Sendable`: call its methods only on the pool's event loop.
///
/// Backpressure: when the client you relay to stops being writable, call ``pauseReading()``;
/// the transport then stops reading from the upstream socket (its `read()` calls are held back,
/// so the kernel's receive window closes and the upstream slows down) and delivers no further
/// body parts until ``resumeReading()``. Parts already decoded from the last socket read are kept
/// (as slices, no copies) and delivered, in order, on resume: at most one socket read cycle
/// (`maxMessagesPerRead` reads) is held, since no further read is made while paused.
///
/// The end of a socket read is reported (``UpstreamResponseDelegate/upstreamDidReadComplete()``)
/// even while paused: parts delivered before the pause may have been written without a flush,
/// and a relay whose client turned unwritable because of those very writes must flush them, or
/// the client never becomes writable again and the exchange never resumes.
public final class UpstreamExchange {
    let pool: UpstreamConnectionPool
    /// The request with the transport's headers applied (kept for a retry: the body is not copied).
    let request: UpstreamRequest
    let origin: OriginConnections
    private var delegate: (any UpstreamResponseDelegate)?

    /// The connection carrying the exchange; `nil` while connecting and after the response ended.
    var connection: UpstreamConnection?
    /// The one transparent retry after a stale keep-alive connection has been used.
    var retried = false
    /// Whether the current attempt runs on a connection that served earlier requests.
    var onReusedConnection = false
    /// Whether the response head arrived (from then on nothing is retried).
    private(set) var headReceived = false
    /// Whether any byte of the response arrived on the current attempt (then nothing is retried).
    var responseBytesSeen = false
    /// Whether the caller paused delivery (and reading).
    private(set) var isPaused = false
    /// Whether the last callback was made or the exchange was cancelled.
    private(set) var isDone = false

    private var pending: [ByteBuffer] = []
    private var pendingStart = 0
    private var endReceived = false
    private var isDraining = false

    init(pool: UpstreamConnectionPool, request: UpstreamRequest, origin: OriginConnections, delegate: any UpstreamResponseDelegate) {
        self.pool = pool
        self.request = request
        self.origin = origin
        self.delegate = delegate
    }

    /// Abandons the exchange: its upstream connection (if it has one) is closed and never reused,
    /// and the delegate receives **no further callbacks at all** (not even `upstreamDidFail(.cancelled)`).
    ///
    /// A connection still being established for the exchange is kept and parked in the pool
    /// when it comes up. Cancelling a finished exchange does nothing.
    public func cancel() {
        self.pool.eventLoop.preconditionInEventLoop()
        guard !self.isDone else { return }
        self.isDone = true
        self.delegate = nil
        self.pending = []
        self.pendingStart = 0
        if let connection = self.connection {
            self.connection = nil
            connection.exchangeWasCancelled(self)
        }
    }

    /// Stops reading the response from the upstream socket and stops delivering body parts,
    /// until ``resumeReading()``. The idle timeout does not run while paused.
    public func pauseReading() {
        self.pool.eventLoop.preconditionInEventLoop()
        guard !self.isDone else { return }
        self.isPaused = true
    }

    /// Delivers the parts held back while paused and resumes reading from the upstream socket.
    public func resumeReading() {
        self.pool.eventLoop.preconditionInEventLoop()
        guard !self.isDone, self.isPaused else { return }
        self.isPaused = false
        self.drain()
        if !self.isPaused, !self.isDone, let connection = self.connection {
            connection.exchangeDidResume()
        }
    }

    // MARK: - Events from the connection (all on the event loop)

    func receiveHead(_ head: UpstreamResponseHead) {
        self.headReceived = true
        self.responseBytesSeen = true
        self.delegate?.upstreamDidReceiveHead(head)
    }

    func receiveBodyPart(_ part: ByteBuffer) {
        if self.isPaused || self.pendingStart < self.pending.count {
            self.pending.append(part)
        } else {
            self.delegate?.upstreamDidReceiveBodyPart(part)
        }
    }

    /// The connection finished a socket read that delivered parts of this exchange (reported
    /// while paused too: see the type's documentation).
    func receiveReadComplete() {
        if !self.isDone {
            self.delegate?.upstreamDidReadComplete()
        }
    }

    /// The response is complete on the wire; the connection has already been detached.
    func receiveEnd() {
        self.endReceived = true
        if !self.isPaused && self.pendingStart == self.pending.count {
            self.finish()
        } else if !self.isDone {
            // The connection has let go of the exchange: no read-complete reaches it any more,
            // so this is the flush point for what was written before the pause.
            self.delegate?.upstreamDidReadComplete()
        }
    }

    func fail(_ error: UpstreamError) {
        guard !self.isDone else { return }
        self.isDone = true
        self.pending = []
        self.pendingStart = 0
        let delegate = self.delegate
        self.delegate = nil
        delegate?.upstreamDidFail(error)
    }

    private func finish() {
        guard !self.isDone else { return }
        self.isDone = true
        let delegate = self.delegate
        self.delegate = nil
        delegate?.upstreamDidFinish()
    }

    private func drain() {
        guard !self.isDraining else { return }
        self.isDraining = true
        defer { self.isDraining = false }
        while !self.isPaused, !self.isDone, self.pendingStart < self.pending.count {
            let part = self.pending[self.pendingStart]
            self.pendingStart += 1
            self.delegate?.upstreamDidReceiveBodyPart(part)
        }
        if self.pendingStart == self.pending.count, !self.pending.isEmpty {
            self.pending.removeAll(keepingCapacity: true)
            self.pendingStart = 0
        }
        if !self.isPaused, !self.isDone, self.endReceived, self.pending.isEmpty {
            self.finish()
        }
    }
}

@available(*, unavailable)
extension UpstreamExchange: Sendable {}
