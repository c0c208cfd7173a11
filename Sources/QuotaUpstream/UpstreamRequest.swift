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
/// The transport owns the connection-level headers: it sets `Host` (from ``origin``),
/// `Content-Length` (from ``body``; `0` for a `POST`/`PUT`/`PATCH` without body), sends HTTP/1.1
/// with keep-alive, and removes hop-by-hop headers (`Connection`, `Keep-Alive`,
/// `Proxy-Connection`, `Transfer-Encoding`, `Upgrade`). Everything else in ``head`` is sent as
/// given. The body buffer is written as is: it is never copied.
public struct UpstreamRequest: Sendable {
    /// Where to send the request.
    public var origin: UpstreamOrigin
    /// Method, URI (path + query, already prefixed with ``UpstreamOrigin/basePath``) and headers.
    public var head: HTTPRequestHead
    /// The request body, if any.
    public var body: ByteBuffer?
    /// The exchange's time limits.
    public var timeouts: UpstreamTimeouts

    /// Creates a request from a prepared head.
    public init(origin: UpstreamOrigin, head: HTTPRequestHead, body: ByteBuffer? = nil, timeouts: UpstreamTimeouts = .init()) {
        self.origin = origin
        self.head = head
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
    /// Applies the transport's connection-level headers (see ``UpstreamRequest``). Mutates the
    /// header storage only where needed, so a head that is already right is not copied.
    mutating func prepareForWire(hostHeader: String) {
        if self.head.version != .http1_1 {
            self.head.version = .http1_1
        }
        if Self.containsHopByHopHeader(self.head.headers) {
            for name in ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"] {
                self.head.headers.remove(name: name)
            }
        }
        self.setHeader("host", hostHeader)
        if let body = self.body {
            self.setHeader("content-length", String(body.readableBytes))
        } else {
            switch self.head.method {
            case .POST, .PUT, .PATCH:
                self.setHeader("content-length", "0")
            default:
                if self.head.headers.contains(name: "content-length") {
                    self.head.headers.remove(name: "content-length")
                }
            }
        }
    }

    /// Sets a header to exactly one value, without touching (and so without copying) the header
    /// storage when it already holds exactly that.
    private mutating func setHeader(_ lowercaseName: String, _ value: String) {
        var count = 0
        var same = true
        for (name, existing) in self.head.headers where name.equalsIgnoringASCIICase(lowercaseName) {
            count += 1
            same = same && existing == value
        }
        if count != 1 || !same {
            self.head.headers.replaceOrAdd(name: lowercaseName, value: value)
        }
    }

    private static func containsHopByHopHeader(_ headers: HTTPHeaders) -> Bool {
        for (name, _) in headers {
            switch name.utf8.count {
            case 7 where name.equalsIgnoringASCIICase("upgrade"),
                10 where name.equalsIgnoringASCIICase("connection") || name.equalsIgnoringASCIICase("keep-alive"),
                16 where name.equalsIgnoringASCIICase("proxy-connection"),
                17 where name.equalsIgnoringASCIICase("transfer-encoding"):
                return true
            default:
                continue
            }
        }
        return false
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
