/// Why an upstream exchange failed.
///
/// Messages name the upstream origin where it is known and what to check; they never contain
/// header values (no `Authorization`, no `x-api-key`) nor bodies.
public enum UpstreamError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The TCP connection (or the DNS lookup before it) failed, e.g. connection refused.
    case connectFailed(origin: UpstreamOrigin, underlying: String)
    /// The TCP connection was not established within ``UpstreamTimeouts/connect``.
    case connectTimeout(origin: UpstreamOrigin)
    /// The TLS handshake or certificate verification failed, or TLS broke later on the connection.
    case tlsFailure(String, beforeResponseHead: Bool)
    /// No response head arrived within ``UpstreamTimeouts/responseHead`` after the request was sent.
    case responseHeadTimeout
    /// The response body stalled: no body part arrived within ``UpstreamTimeouts/idle``.
    case idleTimeout
    /// The upstream closed or reset the connection before answering (`beforeResponseHead: true`)
    /// or in the middle of the response body (`false`).
    case connectionReset(beforeResponseHead: Bool)
    /// The upstream answered something that is not valid HTTP/1.1 (bad head, bad chunk framing,
    /// a body cut short of its `Content-Length`).
    case malformedResponse(String, beforeResponseHead: Bool)
    /// The request was not sent because it is not valid HTTP/1.1 (e.g. a header value with a
    /// line break, a URI with spaces). The message never contains the offending value.
    case invalidRequest(String)
    /// All ``UpstreamPoolConfiguration/maxConnectionsPerOrigin`` connections of this event loop
    /// to the origin are busy.
    case poolExhausted(origin: UpstreamOrigin, limit: Int)
    /// ``UpstreamHTTPClient/send(_:maxBodyBytes:)`` only: the body is larger than its cap.
    case responseTooLarge(limit: Int)
    /// ``UpstreamHTTPClient/send(_:maxBodyBytes:)`` only: the calling task was cancelled.
    /// (A delegate never receives this: ``UpstreamExchange/cancel()`` silences the delegate.)
    case cancelled
    /// The pool was shut down while the exchange was in flight, or before it started.
    case shutdown

    /// `true` when the failure is known to have happened before the response head arrived,
    /// that is, the delegate has seen no ``UpstreamResponseDelegate/upstreamDidReceiveHead(_:)``
    /// and nothing of this response can have been relayed: the request may be retried elsewhere.
    ///
    /// `false` for failures after the head (the response was partly delivered), and for
    /// ``cancelled`` and ``shutdown``, which are never worth retrying.
    public var happenedBeforeResponseHead: Bool {
        switch self {
        case .connectFailed, .connectTimeout, .responseHeadTimeout, .poolExhausted, .invalidRequest:
            return true
        case .tlsFailure(_, let before), .malformedResponse(_, let before), .connectionReset(let before):
            return before
        case .idleTimeout, .responseTooLarge, .cancelled, .shutdown:
            return false
        }
    }

    /// A one-line message for operators.
    public var description: String {
        switch self {
        case .connectFailed(let origin, let underlying):
            return "could not connect to upstream \(origin): \(underlying); check the account's base_url and that the host is reachable"
        case .connectTimeout(let origin):
            return "timed out connecting to upstream \(origin); check that the host is reachable from this server"
        case .tlsFailure(let message, let before):
            return before
                ? "TLS handshake with the upstream failed: \(message)"
                : "TLS failed in the middle of the upstream response: \(message)"
        case .responseHeadTimeout:
            return "the upstream sent no response head within the response-head timeout"
        case .idleTimeout:
            return "the upstream stopped sending the response body for longer than the idle timeout"
        case .connectionReset(let before):
            return before
                ? "the upstream closed the connection before answering"
                : "the upstream closed the connection in the middle of the response"
        case .malformedResponse(let message, let before):
            return before
                ? "the upstream sent a malformed HTTP response head: \(message)"
                : "the upstream sent a malformed HTTP response body: \(message)"
        case .invalidRequest(let message):
            return "the request was not sent upstream: \(message)"
        case .poolExhausted(let origin, let limit):
            return "all \(limit) connections to upstream \(origin) on this event loop are busy; raise maxConnectionsPerOrigin or add capacity"
        case .responseTooLarge(let limit):
            return "the upstream response body is larger than the limit of \(limit) bytes"
        case .cancelled:
            return "the upstream request was cancelled"
        case .shutdown:
            return "the upstream connection pool is shutting down"
        }
    }
}
