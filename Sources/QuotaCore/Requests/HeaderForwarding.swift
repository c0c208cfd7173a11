/// Which headers a proxy hop forwards (RFC 9110 §7.6.1 hop-by-hop headers, plus the client's own
/// credentials on the way up). Allocation-free: it runs for every header of every request.
public enum HeaderForwarding {
    /// Whether a client request header stays behind: hop-by-hop headers, framing (the transport
    /// sets its own), `host`, `accept-encoding` (answers are relayed as they come) and the
    /// client's credentials (`authorization`, `x-api-key`, `x-goog-api-key`: the account's are
    /// added instead).
    public static func dropsRequestHeader(_ name: String) -> Bool {
        HeaderName.withBytes(name) { dropsRequestHeader(bytes: $0) } ?? false
    }

    /// ``dropsRequestHeader(_:)`` for a name in its wire bytes.
    public static func dropsRequestHeader(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        switch bytes.count {
        case 2: return HeaderName.equals(bytes, "te")
        case 4: return HeaderName.equals(bytes, "host")
        case 6: return HeaderName.equals(bytes, "expect")
        case 7: return HeaderName.equals(bytes, "trailer") || HeaderName.equals(bytes, "upgrade")
        case 9: return HeaderName.equals(bytes, "x-api-key")
        case 10: return HeaderName.equals(bytes, "connection") || HeaderName.equals(bytes, "keep-alive")
        case 13: return HeaderName.equals(bytes, "authorization")
        case 14: return HeaderName.equals(bytes, "content-length") || HeaderName.equals(bytes, "x-goog-api-key")
        case 15: return HeaderName.equals(bytes, "accept-encoding")
        case 16: return HeaderName.equals(bytes, "proxy-connection")
        case 17: return HeaderName.equals(bytes, "transfer-encoding")
        case 19: return HeaderName.equals(bytes, "proxy-authorization")
        default: return false
        }
    }

    /// Whether an upstream response header stays behind (hop-by-hop; the client connection has
    /// its own framing and keep-alive).
    public static func dropsResponseHeader(_ name: String) -> Bool {
        HeaderName.withBytes(name) { dropsResponseHeader(bytes: $0) } ?? false
    }

    /// ``dropsResponseHeader(_:)`` for a name in its wire bytes.
    public static func dropsResponseHeader(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        switch bytes.count {
        case 2: return HeaderName.equals(bytes, "te")
        case 7: return HeaderName.equals(bytes, "trailer") || HeaderName.equals(bytes, "upgrade")
        case 10: return HeaderName.equals(bytes, "connection") || HeaderName.equals(bytes, "keep-alive")
        case 16: return HeaderName.equals(bytes, "proxy-connection")
        case 17: return HeaderName.equals(bytes, "transfer-encoding")
        case 18: return HeaderName.equals(bytes, "proxy-authenticate")
        default: return false
        }
    }

    /// Whether a name in wire bytes is `content-length` (any case).
    public static func isContentLength(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.count == 14 && HeaderName.equals(bytes, "content-length")
    }

    /// Whether a name in wire bytes is `content-type` (any case).
    public static func isContentType(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.count == 12 && HeaderName.equals(bytes, "content-type")
    }

    /// ``isEventStream(contentType:)`` for a value in its wire bytes.
    public static func isEventStream(contentTypeBytes bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        HeaderName.hasPrefix(HeaderName.trimmed(bytes), "text/event-stream")
    }

    /// Whether `name` is `content-length` (any case).
    public static func isContentLength(_ name: String) -> Bool {
        name.utf8.count == 14 && (HeaderName.withBytes(name) { HeaderName.equals($0, "content-length") } ?? false)
    }

    /// Whether `name` is `content-type` (any case).
    public static func isContentType(_ name: String) -> Bool {
        name.utf8.count == 12 && (HeaderName.withBytes(name) { HeaderName.equals($0, "content-type") } ?? false)
    }

    /// Whether a name in wire bytes equals `name` ignoring ASCII case (for names known only at run
    /// time: a provider's default headers, an account's extra headers).
    public static func nameEquals(bytes: UnsafeBufferPointer<UInt8>, _ name: String) -> Bool {
        let other = name.utf8
        guard bytes.count == other.count else { return false }
        var index = 0
        for byte in other {
            guard HeaderName.lower(bytes[index]) == HeaderName.lower(byte) else { return false }
            index += 1
        }
        return true
    }

    /// Whether a name in wire bytes is `anthropic-version` (any case).
    public static func isAnthropicVersion(bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.count == 17 && HeaderName.equals(bytes, "anthropic-version")
    }

    /// Whether `name` is `anthropic-version` (any case).
    public static func isAnthropicVersion(_ name: String) -> Bool {
        name.utf8.count == 17 && (HeaderName.withBytes(name) { HeaderName.equals($0, "anthropic-version") } ?? false)
    }

    /// Whether a `content-type` value is `text/event-stream` (any case, parameters allowed).
    public static func isEventStream(contentType: String) -> Bool {
        HeaderName.withBytes(contentType) { bytes in
            HeaderName.hasPrefix(HeaderName.trimmed(bytes), "text/event-stream")
        } ?? false
    }
}
