/// A failure to get an answer from an upstream at all. Every kind is a service error
/// (``UpstreamOutcome/serviceError``); the kinds exist for logs.
public enum TransportFailure: String, Sendable, Equatable, CaseIterable {
    /// The connection could not be established (refused, DNS, unreachable).
    case connectFailed = "connect_failed"
    /// TLS handshake or certificate failure.
    case tlsFailure = "tls_failure"
    /// The connection was reset or closed before a complete answer head.
    case connectionReset = "connection_reset"
    /// No answer (head) within the deadline.
    case timeout
    /// Anything else below HTTP.
    case other
}
