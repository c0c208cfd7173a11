import NIOCore
import QuotaHTTP

/// Request header fields written straight into their wire form (`name: value\r\n` each) as they
/// are added: the cheap way to hand the transport a request's headers, without building an
/// `HTTPHeaders` value that the transport would then encode again.
///
/// Adding validates as it copies: a name that is not an HTTP token, or a value with CR, LF or
/// NUL, marks the fields invalid, and ``UpstreamConnectionPool/execute(_:delegate:)`` then fails
/// the exchange with ``UpstreamError/invalidRequest(_:)`` before anything is sent. Connection-level
/// headers (`Host`, `Content-Length`, hop-by-hop headers) are skipped: the transport writes its own.
public struct EncodedHeaderFields: Sendable {
    /// The encoded lines.
    private(set) var bytes: ByteBuffer
    /// The name of the first field that could not be encoded (never its value).
    public private(set) var invalidFieldName: String?

    /// Creates empty fields with room for about `capacity` bytes.
    public init(allocator: ByteBufferAllocator = ByteBufferAllocator(), capacity: Int = 512) {
        self.bytes = allocator.buffer(capacity: capacity)
    }

    /// Whether every field added so far could be encoded.
    public var isValid: Bool { invalidFieldName == nil }

    /// The number of encoded bytes.
    public var byteCount: Int { bytes.readableBytes }

    /// Appends `name: value`; connection-level names are skipped (see the type's documentation).
    public mutating func add(name: String, value: String) {
        var name = name
        var value = value
        name.withUTF8 { name in value.withUTF8 { value in add(name: name, value: value) } }
    }

    /// Appends a field given as wire bytes (a relay's fast path); same rules as ``add(name:value:)``.
    public mutating func add(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) {
        guard !Self.isConnectionLevel(bytes: name) else { return }
        guard Self.isToken(name), Self.isFieldValue(value) else {
            if invalidFieldName == nil { invalidFieldName = Self.printable(String(decoding: name, as: UTF8.self)) }
            return
        }
        bytes.writeBytes(name)
        bytes.writeStaticString(": ")
        bytes.writeBytes(value)
        bytes.writeStaticString("\r\n")
    }

    static func isConnectionLevel(bytes name: UnsafeBufferPointer<UInt8>) -> Bool {
        switch name.count {
        case 4: return HTTPHeadScanner.equalsLowercase(name, "host")
        case 7: return HTTPHeadScanner.equalsLowercase(name, "upgrade")
        case 10: return HTTPHeadScanner.equalsLowercase(name, "connection") || HTTPHeadScanner.equalsLowercase(name, "keep-alive")
        case 14: return HTTPHeadScanner.equalsLowercase(name, "content-length")
        case 16: return HTTPHeadScanner.equalsLowercase(name, "proxy-connection")
        case 17: return HTTPHeadScanner.equalsLowercase(name, "transfer-encoding")
        default: return false
        }
    }

    /// Headers the transport owns: `Host`, `Content-Length` and the hop-by-hop ones.
    static func isConnectionLevel(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { isConnectionLevel(bytes: $0) }
    }

    /// RFC 9110 token: visible ASCII except delimiters.
    static func isToken(_ name: some Collection<UInt8>) -> Bool {
        !name.isEmpty && name.allSatisfy(HTTPHeadScanner.isTokenByte)
    }

    /// A field value may hold anything but CR, LF and NUL (obs-text and tabs are allowed).
    static func isFieldValue(_ value: some Sequence<UInt8>) -> Bool {
        !value.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }
    }

    /// A header name made safe to show in an error message.
    static func printable(_ name: String) -> String {
        String(String.UnicodeScalarView(name.unicodeScalars.prefix(64).map { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? $0 : "?" }))
    }
}
