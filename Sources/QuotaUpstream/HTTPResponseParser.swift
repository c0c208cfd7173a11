import NIOCore
import NIOHTTP1
import QuotaHTTP

/// An incremental HTTP/1.1 response parser over raw socket reads: the upstream side of the
/// proxy's byte relay, in place of NIO's `HTTPResponseDecoder`.
///
/// It reads the head into an ``UpstreamResponseHead`` (field positions, no strings) and hands the
/// body on as slices of the bytes read (no copies), undoing chunked framing. Framing follows
/// RFC 9112 §6: no body for `HEAD`, 1xx, 204 and 304; `Transfer-Encoding` ending in `chunked`;
/// else `Content-Length`; else the body runs until the connection closes. Interim 1xx heads
/// (other than 101) are skipped. Anything else malformed is an error naming what was wrong.
struct HTTPResponseParser {
    /// What a call to ``feed(_:requestIsHEAD:_:)`` found, in order.
    enum Event {
        case head(UpstreamResponseHead)
        case body(ByteBuffer)
        /// The response is complete.
        case end
    }

    typealias ParseError = HTTPParseError


    private enum State {
        case head
        case body(HTTPBodyReader)
    }

    private var state = State.head
    private var pending = PendingBytes()
    /// Whether the response being read allows the connection to carry another request.
    private(set) var isKeepAlive = true

    /// Parses `input`, calling `emit` for each event. Stops after `.end` and returns the number of
    /// bytes that followed it (a well-behaved upstream sends nothing before the next request).
    mutating func feed(
        _ input: ByteBuffer, requestIsHEAD: Bool, _ emit: (Event) -> Void
    ) throws(ParseError) -> Int {
        var buffer = pending.combined(with: input)
        while true {
            switch state {
            case .head:
                guard let headBytes = try HTTPHeadScanner.takeHead(from: &buffer, of: "response") else {
                    pending.keep(buffer)
                    return 0
                }
                let parsed = try HTTPHeadScanner.withBytes(headBytes) { (bytes) throws(ParseError) in
                    try Self.parseHead(bytes, bytes: headBytes)
                }
                let code = Int(parsed.head.status.code)
                if code >= 100 && code < 200 && code != 101 {
                    continue  // interim response: the real head follows
                }
                emit(.head(parsed.head))
                if requestIsHEAD || code < 200 || code == 204 || code == 304 {
                    isKeepAlive = parsed.keepAlive && code != 101
                    emit(.end)
                    return buffer.readableBytes
                }
                if parsed.hasTransferEncoding {
                    // Transfer-Encoding overrides Content-Length; a message with both is suspect,
                    // so the connection is not reused after it (RFC 9112 §6.3).
                    isKeepAlive = parsed.chunked && parsed.keepAlive && parsed.contentLength == nil
                    state = .body(HTTPBodyReader(parsed.chunked ? .chunked : .untilClose))
                } else if let length = parsed.contentLength {
                    isKeepAlive = parsed.keepAlive
                    state = .body(HTTPBodyReader(.length(length)))
                } else {
                    isKeepAlive = false
                    state = .body(HTTPBodyReader(.untilClose))
                }
            case .body(var reader):
                let progress = try reader.read(&buffer) { emit(.body($0)) }
                switch progress {
                case .complete:
                    state = .head
                    emit(.end)
                    return buffer.readableBytes
                case .needsMore:
                    state = .body(reader)
                    pending.keep(buffer)
                    return 0
                }
            }
        }
    }

    /// The connection closed. Returns whether that completed the response (a body delimited by
    /// the close); `false` when a response was cut short or none was under way.
    mutating func endOfInput() -> Bool {
        defer {
            state = .head
            pending.clear()
        }
        if case .body(let reader) = state { return reader.endsWithConnection }
        return false
    }

    // MARK: - Head

    private struct ParsedHead {
        var head: UpstreamResponseHead
        var keepAlive: Bool
        var contentLength: Int?
        var chunked: Bool
        var hasTransferEncoding: Bool
    }

    private static func parseHead(_ b: UnsafeBufferPointer<UInt8>, bytes: ByteBuffer) throws(ParseError) -> ParsedHead {
        // Status line: HTTP/x.y SP 3DIGIT [SP reason]
        let statusLine = HTTPHeadScanner.lineEnd(b, from: 0)
        let isDigit = HTTPHeadScanner.isDigit
        guard statusLine.content >= 12,
            b[0] == UInt8(ascii: "H"), b[1] == UInt8(ascii: "T"), b[2] == UInt8(ascii: "T"), b[3] == UInt8(ascii: "P"),
            b[4] == UInt8(ascii: "/"), isDigit(b[5]), b[6] == UInt8(ascii: "."), isDigit(b[7]), b[8] == UInt8(ascii: " "),
            isDigit(b[9]), isDigit(b[10]), isDigit(b[11]),
            statusLine.content == 12 || b[12] == UInt8(ascii: " ")
        else {
            throw ParseError("the status line is not HTTP/1.x with a 3-digit status")
        }
        let version = HTTPVersion(major: Int(b[5] - 48), minor: Int(b[7] - 48))
        guard version.major == 1 else {
            throw ParseError("the response is HTTP/\(version.major).\(version.minor), not HTTP/1.x")
        }
        let code = Int(b[9] - 48) * 100 + Int(b[10] - 48) * 10 + Int(b[11] - 48)
        let status: HTTPResponseStatus
        let knownStatus = HTTPResponseStatus(statusCode: code)
        if case .custom = knownStatus, statusLine.content > 13 {
            status = HTTPResponseStatus(
                statusCode: code, reasonPhrase: String(decoding: UnsafeBufferPointer(rebasing: b[13..<statusLine.content]), as: UTF8.self))
        } else {
            status = knownStatus
        }

        var fields: [HTTPFieldPosition] = []
        fields.reserveCapacity(16)
        var connection = ConnectionOptions()
        var contentLength: Int?
        var chunked = false
        var hasTransferEncoding = false
        try HTTPHeadScanner.scanFields(b, from: statusLine.next) { (nameRange, valueRange) throws(ParseError) in
            let name = UnsafeBufferPointer(rebasing: b[nameRange])
            let value = UnsafeBufferPointer(rebasing: b[valueRange])
            switch name.count {
            case 10 where HTTPHeadScanner.equalsLowercase(name, "connection"):
                connection.add(value)
            case 14 where HTTPHeadScanner.equalsLowercase(name, "content-length"):
                contentLength = try HTTPHeadScanner.contentLength(value, previous: contentLength)
            case 17 where HTTPHeadScanner.equalsLowercase(name, "transfer-encoding"):
                hasTransferEncoding = true
                chunked = HTTPHeadScanner.endsInChunked(value)
            default:
                break
            }
            fields.append(HTTPFieldPosition(name: nameRange, value: valueRange))
        }
        let keepAlive = connection.persists(minorVersion: version.minor)
        return ParsedHead(
            head: UpstreamResponseHead(status: status, version: version, fields: HTTPFieldList(bytes: bytes, positions: fields)),
            keepAlive: keepAlive, contentLength: contentLength, chunked: chunked,
            hasTransferEncoding: hasTransferEncoding)
    }
}
