import NIOHTTP1

/// How the body of a response to the client is delimited on the wire.
public enum ClientResponseFraming {
    /// The head carries `content-length`: body bytes go out as they are.
    case contentLength
    /// `transfer-encoding: chunked` (HTTP/1.1 clients, length unknown): each part becomes a chunk.
    case chunked
    /// HTTP/1.0 client, length unknown: bytes as they are, and the connection closes at the end.
    case closeDelimited
    /// The status allows no body (1xx, 204, 304): body bytes are dropped.
    case noBody

    /// The framing for an answer with `status`, whether it has a `content-length`, to a client
    /// speaking `version`.
    public static func choose(status: Int, hasContentLength: Bool, clientVersion: HTTPVersion) -> ClientResponseFraming {
        if (100..<200).contains(status) || status == 204 || status == 304 { return .noBody }
        if hasContentLength { return .contentLength }
        if clientVersion.major > 1 || (clientVersion.major == 1 && clientVersion.minor >= 1) { return .chunked }
        return .closeDelimited
    }
}
