import NIOCore
import NIOHTTP1

/// A request head as ``HTTPRequestParser`` read it: the request line decoded, the header fields
/// kept as positions in the head's bytes (``fields``).
public struct ParsedRequestHead: Sendable {
    public var method: HTTPMethod
    /// The request target as sent (origin form: path and query).
    public var uri: String
    public var version: HTTPVersion
    /// Whether the connection may carry another request after this one (HTTP/1.1 unless
    /// `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`).
    public var isKeepAlive: Bool
    /// The body's framing.
    public var bodyFraming: HTTPBodyReader.Framing
    /// The declared body length (`nil` for a chunked body).
    public var contentLength: Int?
    /// Whether the client sent `Expect: 100-continue` and waits for an interim answer.
    public var expectsContinue: Bool
    /// The header fields, read on demand.
    public let fields: HTTPFieldList
}

/// An incremental HTTP/1.1 request parser over raw socket reads: the client side of the proxy's
/// byte relay, in place of NIO's `HTTPRequestDecoder`.
///
/// Strict where a proxy must be (RFC 9112): a request with both `Transfer-Encoding` and
/// `Content-Length`, a `Transfer-Encoding` that does not end in `chunked`, conflicting lengths,
/// obsolete line folding, a malformed request line, or an HTTP/1.1 request without `Host` is an
/// error (the caller answers 400 and closes), so no two parsers can disagree on where a request
/// ends. The request line is checked as its bytes arrive: bytes that cannot start one (binary
/// garbage, a TLS ClientHello, an HTTP/0.9 `GET /`) fail at once rather than when the head is
/// complete. A head over ``HTTPHeadScanner/maximumHeadBytes`` fails however it arrives.
/// Pipelined requests are parsed one after the other.
public struct HTTPRequestParser: Sendable {
    public enum Event {
        case head(ParsedRequestHead)
        case body(ByteBuffer)
        /// The request is complete.
        case end
    }

    private enum State: Sendable {
        case head
        case body(HTTPBodyReader)
    }

    private var state = State.head
    private var pending = PendingBytes()
    /// Where the search for the end of the current head stopped (a head arriving in pieces).
    private var search = HTTPHeadScanner.HeadSearch()
    private var requestLine = RequestLineCheck()

    public init() {}

    /// Whether part of a request head has arrived but not all of it.
    public var isInsideHead: Bool {
        if case .head = state { return pending.count > 0 }
        return false
    }

    /// Parses `input`, calling `emit` for each event, for as many requests as it holds.
    public mutating func feed(_ input: ByteBuffer, _ emit: (Event) -> Void) throws(HTTPParseError) {
        var buffer = pending.combined(with: input)
        while true {
            switch state {
            case .head:
                guard let headBytes = try HTTPHeadScanner.takeHead(from: &buffer, of: "request", search: &search) else {
                    if buffer.readableBytes > 0 {
                        try buffer.withUnsafeReadableBytes { (bytes) throws(HTTPParseError) in try requestLine.check(bytes) }
                    }
                    pending.keep(buffer)
                    return
                }
                requestLine = RequestLineCheck()
                let head = try HTTPHeadScanner.withBytes(headBytes) { (bytes) throws(HTTPParseError) in
                    try Self.parseHead(bytes, bytes: headBytes)
                }
                emit(.head(head))
                state = .body(HTTPBodyReader(head.bodyFraming))
            case .body(var reader):
                let progress = try reader.read(&buffer) { emit(.body($0)) }
                switch progress {
                case .complete:
                    state = .head
                    emit(.end)
                case .needsMore:
                    state = .body(reader)
                    pending.keep(buffer)
                    return
                }
            }
        }
    }

    private static func parseHead(_ b: UnsafeBufferPointer<UInt8>, bytes: ByteBuffer) throws(HTTPParseError) -> ParsedRequestHead {
        // Request line: method SP request-target SP HTTP/x.y
        let line = HTTPHeadScanner.lineEnd(b, from: 0)
        var methodEnd = 0
        while methodEnd < line.content && b[methodEnd] != UInt8(ascii: " ") {
            guard HTTPHeadScanner.isTokenByte(b[methodEnd]) else {
                throw HTTPParseError("the request method is not an HTTP token")
            }
            methodEnd += 1
        }
        let targetStart = methodEnd + 1
        var targetEnd = targetStart
        while targetEnd < line.content && b[targetEnd] != UInt8(ascii: " ") {
            guard b[targetEnd] > 0x20 && b[targetEnd] != 0x7F else {
                throw HTTPParseError("the request target contains a control character")
            }
            targetEnd += 1
        }
        let versionStart = targetEnd + 1
        guard methodEnd > 0, targetEnd > targetStart, line.content - versionStart == 8,
            b[versionStart] == UInt8(ascii: "H"), b[versionStart + 1] == UInt8(ascii: "T"),
            b[versionStart + 2] == UInt8(ascii: "T"), b[versionStart + 3] == UInt8(ascii: "P"),
            b[versionStart + 4] == UInt8(ascii: "/"), b[versionStart + 5] == UInt8(ascii: "1"),
            b[versionStart + 6] == UInt8(ascii: "."), HTTPHeadScanner.isDigit(b[versionStart + 7])
        else {
            throw HTTPParseError("the request line is not METHOD TARGET HTTP/1.x")
        }
        let version = HTTPVersion(major: 1, minor: Int(b[versionStart + 7] - UInt8(ascii: "0")))
        let method = Self.method(UnsafeBufferPointer(rebasing: b[0..<methodEnd]))
        let uri = String(decoding: UnsafeBufferPointer(rebasing: b[targetStart..<targetEnd]), as: UTF8.self)

        var fields: [HTTPFieldPosition] = []
        fields.reserveCapacity(12)
        var connection = ConnectionOptions()
        var contentLength: Int?
        var transferEncoding: UnsafeBufferPointer<UInt8>?
        var expectsContinue = false
        var hosts = 0
        try HTTPHeadScanner.scanFields(b, from: line.next) { (nameRange, valueRange) throws(HTTPParseError) in
            let name = UnsafeBufferPointer(rebasing: b[nameRange])
            let value = UnsafeBufferPointer(rebasing: b[valueRange])
            switch name.count {
            case 4 where HTTPHeadScanner.equalsLowercase(name, "host"):
                hosts += 1
            case 6 where HTTPHeadScanner.equalsLowercase(name, "expect"):
                expectsContinue = HTTPHeadScanner.equalsLowercase(value, "100-continue")
            case 10 where HTTPHeadScanner.equalsLowercase(name, "connection"):
                connection.add(value)
            case 14 where HTTPHeadScanner.equalsLowercase(name, "content-length"):
                contentLength = try HTTPHeadScanner.contentLength(value, previous: contentLength)
            case 17 where HTTPHeadScanner.equalsLowercase(name, "transfer-encoding"):
                guard transferEncoding == nil else {
                    throw HTTPParseError("the request has more than one Transfer-Encoding field")
                }
                transferEncoding = value
            default:
                break
            }
            fields.append(HTTPFieldPosition(name: nameRange, value: valueRange))
        }
        if hosts > 1 {
            throw HTTPParseError("the request has more than one Host field")
        }
        if hosts == 0 && version.minor >= 1 {
            throw HTTPParseError("the HTTP/1.1 request has no Host field")
        }
        let framing: HTTPBodyReader.Framing
        if let transferEncoding {
            guard contentLength == nil else {
                throw HTTPParseError("the request has both Transfer-Encoding and Content-Length")
            }
            guard HTTPHeadScanner.endsInChunked(transferEncoding), version.minor >= 1 else {
                throw HTTPParseError("the request's Transfer-Encoding does not end in chunked")
            }
            framing = .chunked
        } else {
            framing = .length(contentLength ?? 0)
        }
        return ParsedRequestHead(
            method: method, uri: uri, version: version,
            isKeepAlive: connection.persists(minorVersion: version.minor),
            bodyFraming: framing, contentLength: contentLength, expectsContinue: expectsContinue && version.minor >= 1,
            fields: HTTPFieldList(bytes: bytes, positions: fields))
    }

    /// NIO's method value, without building a `String` for the common ones.
    private static func method(_ bytes: UnsafeBufferPointer<UInt8>) -> HTTPMethod {
        switch bytes.count {
        case 3 where bytes.elementsEqual("GET".utf8): return .GET
        case 3 where bytes.elementsEqual("PUT".utf8): return .PUT
        case 4 where bytes.elementsEqual("POST".utf8): return .POST
        case 4 where bytes.elementsEqual("HEAD".utf8): return .HEAD
        case 5 where bytes.elementsEqual("PATCH".utf8): return .PATCH
        case 6 where bytes.elementsEqual("DELETE".utf8): return .DELETE
        case 7 where bytes.elementsEqual("OPTIONS".utf8): return .OPTIONS
        default: return HTTPMethod(rawValue: String(decoding: bytes, as: UTF8.self))
        }
    }
}

/// Checks a request line (`METHOD SP TARGET SP HTTP/1.x CRLF`) byte by byte as it arrives,
/// resuming where the previous read stopped.
struct RequestLineCheck: Sendable {
    private enum Phase: Sendable {
        case method
        case target
        /// At this position of `HTTP/1.x`.
        case version(Int)
        case lineFeed
        case done
    }

    private var phase = Phase.method
    /// The first byte not checked yet.
    private var index = 0
    /// Bytes of the method or target so far.
    private var length = 0

    private static let versionPrefix: [UInt8] = Array("HTTP/1.".utf8)

    /// Checks the bytes after the ones checked last time; throws at the first byte that cannot
    /// belong to a request line.
    mutating func check(_ bytes: UnsafeRawBufferPointer) throws(HTTPParseError) {
        while index < bytes.count {
            let byte = bytes[index]
            switch phase {
            case .method:
                if byte == UInt8(ascii: " ") && length > 0 {
                    phase = .target
                    length = 0
                } else if HTTPHeadScanner.isTokenByte(byte) {
                    length += 1
                } else {
                    throw HTTPParseError("the request does not start with an HTTP method")
                }
            case .target:
                if byte == UInt8(ascii: " ") && length > 0 {
                    phase = .version(0)
                } else if byte > 0x20 && byte != 0x7F {
                    length += 1
                } else {
                    throw HTTPParseError("the request line is not METHOD TARGET HTTP/1.x")
                }
            case .version(let position):
                let fits: Bool
                if position < Self.versionPrefix.count {
                    fits = byte == Self.versionPrefix[position]
                } else if position == Self.versionPrefix.count {
                    fits = HTTPHeadScanner.isDigit(byte)
                } else {
                    fits = byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n")
                }
                guard fits else { throw HTTPParseError("the request line is not METHOD TARGET HTTP/1.x") }
                if position > Self.versionPrefix.count {
                    phase = byte == UInt8(ascii: "\r") ? .lineFeed : .done
                } else {
                    phase = .version(position + 1)
                }
            case .lineFeed:
                guard byte == UInt8(ascii: "\n") else { throw HTTPParseError("the request line is not METHOD TARGET HTTP/1.x") }
                phase = .done
            case .done:
                return
            }
            index += 1
        }
    }
}
