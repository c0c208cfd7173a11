import NIOCore
import NIOHTTP1

/// The time limits of one upstream exchange.
public struct UpstreamTimeouts: Hashable, Sendable {
    /// Time to establish a new TCP connection. Default 5 s.
    public var connect: TimeAmount
    /// Time from writing the request until the response head arrives (includes the TLS handshake
    /// of a new connection and the upstream's think time). Default 120 s.
    public var responseHead: TimeAmount
    /// Longest gap between two body parts once the head has arrived. Time spent paused by
    /// ``UpstreamExchange/pauseReading()`` does not count. Default 300 s.
    public var idle: TimeAmount

    /// Creates timeouts; every argument has the documented default.
    public init(
        connect: TimeAmount = .seconds(5),
        responseHead: TimeAmount = .seconds(120),
        idle: TimeAmount = .seconds(300)
    ) {
        self.connect = connect
        self.responseHead = responseHead
        self.idle = idle
    }
}

/// One request to send upstream.
///
/// The transport owns the connection-level headers: it writes `Host` (from ``origin``) and
/// `Content-Length` (from ``body``; `0` for a `POST`/`PUT`/`PATCH` without body), sends HTTP/1.1
/// with keep-alive, and leaves out any `Host`, `Content-Length` and hop-by-hop header (`Connection`,
/// `Keep-Alive`, `Proxy-Connection`, `Transfer-Encoding`, `Upgrade`) given to it. Everything else
/// in ``head`` and ``encodedFields`` is sent as given, after a check that it is valid HTTP (else
/// the exchange fails with ``UpstreamError/invalidRequest(_:)`` and nothing is sent). A body up
/// to 16 KiB is copied behind the head (one write); a larger one is written as it is, never copied.
public struct UpstreamRequest: Sendable {
    /// Where to send the request.
    public var origin: UpstreamOrigin
    /// Method, URI (path + query, already prefixed with ``UpstreamOrigin/basePath``) and headers.
    public var head: HTTPRequestHead
    /// Header fields already in wire form, sent after ``head``'s headers (the proxy's fast path:
    /// it encodes the forwarded headers once instead of building an `HTTPHeaders`).
    public var encodedFields: EncodedHeaderFields?
    /// The request body, if any.
    public var body: ByteBuffer?
    /// The exchange's time limits.
    public var timeouts: UpstreamTimeouts

    /// Creates a request from a prepared head (and optionally header fields in wire form).
    public init(
        origin: UpstreamOrigin, head: HTTPRequestHead, encodedFields: EncodedHeaderFields? = nil, body: ByteBuffer? = nil,
        timeouts: UpstreamTimeouts = .init()
    ) {
        self.origin = origin
        self.head = head
        self.encodedFields = encodedFields
        self.body = body
        self.timeouts = timeouts
    }

    /// Creates a request for `path` below the origin's base path, e.g. `"/v1/models"`.
    public init(
        origin: UpstreamOrigin,
        method: HTTPMethod,
        path: String,
        headers: HTTPHeaders = [:],
        body: ByteBuffer? = nil,
        timeouts: UpstreamTimeouts = .init()
    ) {
        self.init(
            origin: origin,
            head: HTTPRequestHead(version: .http1_1, method: method, uri: origin.basePath + path, headers: headers),
            body: body,
            timeouts: timeouts
        )
    }
}

extension UpstreamRequest {
    /// Removes the connection-level headers the transport writes itself (`Host`, `Content-Length`,
    /// hop-by-hop headers) from ``head`` and checks that the request can be written as HTTP/1.1.
    /// Mutates the header storage only where needed, so a head that is already right is not copied.
    ///
    /// - Returns: why the request cannot be sent (never quoting a header value), or `nil`.
    mutating func prepareForWire() -> UpstreamError? {
        if self.head.version != .http1_1 {
            self.head.version = .http1_1
        }
        var hasConnectionLevelHeader = false
        for (name, value) in self.head.headers {
            if EncodedHeaderFields.isConnectionLevel(name) {
                hasConnectionLevelHeader = true
            } else if !EncodedHeaderFields.isToken(name.utf8) || !EncodedHeaderFields.isFieldValue(value.utf8) {
                return .invalidRequest("the request header \(EncodedHeaderFields.printable(name)) has a name or value that HTTP does not allow")
            }
        }
        if hasConnectionLevelHeader {
            for name in ["host", "content-length", "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"] {
                self.head.headers.remove(name: name)
            }
        }
        if let name = self.encodedFields?.invalidFieldName {
            return .invalidRequest("the request header \(name) has a name or value that HTTP does not allow")
        }
        if !Self.isValidRequestTarget(self.head.uri) {
            return .invalidRequest("the request URI contains characters that HTTP does not allow (spaces or control characters)")
        }
        if !EncodedHeaderFields.isToken(self.head.method.rawValue.utf8) {
            return .invalidRequest("the request method is not an HTTP token")
        }
        return nil
    }

    /// The request line and header block, ready for the socket: the transport's `Host` and
    /// `Content-Length`, then ``head``'s headers, then ``encodedFields``. With `includingBody`,
    /// the body follows in the same buffer (one write for a small request).
    func wireHead(hostHeader: String, allocator: ByteBufferAllocator, includingBody: Bool = false) -> ByteBuffer {
        let method = self.head.method.rawValue
        var buffer = allocator.buffer(
            capacity: 64 + method.utf8.count + self.head.uri.utf8.count + hostHeader.utf8.count
                + (self.encodedFields?.byteCount ?? 0) + self.head.headers.count * 48
                + (includingBody ? self.body?.readableBytes ?? 0 : 0))
        buffer.writeString(method)
        buffer.writeStaticString(" ")
        buffer.writeString(self.head.uri)
        buffer.writeStaticString(" HTTP/1.1\r\nhost: ")
        buffer.writeString(hostHeader)
        if let body = self.body {
            buffer.writeStaticString("\r\ncontent-length: ")
            buffer.writeString(String(body.readableBytes))
        } else {
            switch self.head.method {
            case .POST, .PUT, .PATCH:
                buffer.writeStaticString("\r\ncontent-length: 0")
            default:
                break
            }
        }
        buffer.writeStaticString("\r\n")
        for (name, value) in self.head.headers {
            buffer.writeString(name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
            buffer.writeStaticString("\r\n")
        }
        if let fields = self.encodedFields {
            var bytes = fields.bytes
            buffer.writeBuffer(&bytes)
        }
        buffer.writeStaticString("\r\n")
        if includingBody, let body = self.body {
            buffer.writeImmutableBuffer(body)
        }
        return buffer
    }

    /// An origin-form or absolute request target: no spaces, no control characters.
    private static func isValidRequestTarget(_ uri: String) -> Bool {
        guard !uri.isEmpty else { return false }
        for byte in uri.utf8 where byte <= 0x20 || byte == 0x7F {
            return false
        }
        return true
    }
}

extension String {
    /// ASCII case-insensitive comparison with a lower-case ASCII literal.
    func equalsIgnoringASCIICase(_ lowercase: String) -> Bool {
        guard self.utf8.count == lowercase.utf8.count else { return false }
        for (a, b) in zip(self.utf8, lowercase.utf8) {
            let folded = (a >= UInt8(ascii: "A") && a <= UInt8(ascii: "Z")) ? a | 0x20 : a
            if folded != b { return false }
        }
        return true
    }
}
