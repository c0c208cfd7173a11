import NIOCore
import QuotaCore
import QuotaHTTP

/// A client request the proxy forwards, as the request handler parsed it.
struct ProxiedRequest {
    let route: ProxyRoute
    /// `route.operation`, for a proxied route.
    let operation: ModelOperation
    let head: ParsedRequestHead
    /// The body as it goes to an account of the client's own protocol (after `model_aliases`).
    let body: ByteBuffer
    /// The model sent upstream (after `model_aliases`).
    let model: String
    /// The model the client asked for.
    let requestedModel: String
    /// The model's protection group.
    let group: String
    /// Whether the client asked for a streamed answer, when the route says so itself (Gemini's
    /// `:streamGenerateContent`); body-declared streams are seen in the answer's content type.
    let streamByPath: Bool
    let keepAlive: Bool
    let receivedAt: NIODeadline
    /// The client key's masked name, for the request log.
    let clientKey: String?

    var clientProtocol: WireProtocol { route.clientProtocol }
}
