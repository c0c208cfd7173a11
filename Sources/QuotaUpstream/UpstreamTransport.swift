import NIOCore

/// What the proxy's request path needs of an upstream transport: start one exchange on the
/// caller's event loop and get a handle to steer it.
///
/// ``UpstreamConnectionPool`` is the real one (pooled keep-alive HTTP/1.1 connections); tests
/// drive the request path with a scripted one that answers without a socket.
///
/// The contract is ``UpstreamConnectionPool/execute(_:delegate:)``'s: call on the transport's
/// event loop; callbacks arrive on that loop, in the order ``UpstreamResponseDelegate`` states,
/// never from inside `execute`.
public protocol UpstreamTransport: AnyObject {
    /// Sends `request` and reports its answer to `delegate`.
    func startExchange(_ request: consuming UpstreamRequest, delegate: any UpstreamResponseDelegate) -> any UpstreamCall
}

/// One exchange in flight, as its caller steers it (``UpstreamExchange`` for the real transport).
/// Not `Sendable`: call only on the transport's event loop.
public protocol UpstreamCall: AnyObject {
    /// Abandons the exchange: the delegate receives no further callbacks at all.
    func cancel()
    /// Stops reading and delivering body parts until ``resumeReading()`` (backpressure).
    func pauseReading()
    /// Delivers what was held back while paused and reads on.
    func resumeReading()
}

extension UpstreamExchange: UpstreamCall {}

extension UpstreamConnectionPool: UpstreamTransport {
    public func startExchange(_ request: consuming UpstreamRequest, delegate: any UpstreamResponseDelegate) -> any UpstreamCall {
        self.execute(request, delegate: delegate)
    }
}
