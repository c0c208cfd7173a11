import NIOCore
import NIOHTTP1

/// Receives one upstream response, on the pool's event loop, in this order: head, zero or more
/// body parts, then finish — or fail at any point.
///
/// Exactly one of ``upstreamDidFinish()`` and ``upstreamDidFail(_:)`` is called, once, unless the
/// exchange is cancelled with ``UpstreamExchange/cancel()``: after `cancel()` returns the delegate
/// receives nothing more. No callback is ever made from inside
/// ``UpstreamConnectionPool/execute(_:delegate:)``. The exchange holds its delegate strongly
/// until the last callback (or `cancel()`), then lets go of it.
///
/// Callbacks may call back into the exchange (`pauseReading`, `resumeReading`, `cancel`) and into
/// the pool (`execute`): when ``upstreamDidFinish()`` runs, a reusable connection is already back
/// in the pool.
public protocol UpstreamResponseDelegate: AnyObject {
    /// The response head (status and headers). `1xx` informational heads are not delivered.
    func upstreamDidReceiveHead(_ head: UpstreamResponseHead)
    /// A part of the body, as it came off the socket (a slice of NIO's read buffer, not a copy).
    func upstreamDidReceiveBodyPart(_ part: ByteBuffer)
    /// The socket read that delivered the latest head or body parts is over: a relay flushes here,
    /// so the parts of one read go out in one write. Called while reading is paused too (what was
    /// written before the pause still needs its flush); not called after finish or fail.
    func upstreamDidReadComplete()
    /// The response is complete.
    func upstreamDidFinish()
    /// The exchange failed; see ``UpstreamError/happenedBeforeResponseHead``.
    func upstreamDidFail(_ error: UpstreamError)
}

extension UpstreamResponseDelegate {
    /// Delegates that write nothing per part need no flush point.
    public func upstreamDidReadComplete() {}
}
