import NIOCore
import NIOHTTP1

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

    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    /// The largest head (or trailer section) accepted.
    static let maximumHeadBytes = 80 * 1024
    /// The longest chunk-size line accepted (extensions included).
    static let maximumChunkLineBytes = 4096

    private enum State {
        case head
        case body(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        /// The CRLF after a chunk's data.
        case chunkDataEnd
        case trailers
        case untilClose
    }

    private var state = State.head
    /// Bytes of an incomplete line (head, chunk size, chunk end, trailers) kept until the next read.
    private var partial: ByteBuffer?
    /// Whether the response being read allows the connection to carry another request.
    private(set) var isKeepAlive = true
    /// Whether a response is under way (some of it read, not all).
    var isMidResponse: Bool {
        if case .head = state { return partial != nil }
        return true
    }

    /// Parses `input`, calling `emit` for each event. Stops after `.end` and returns the bytes
    /// that followed it (a well-behaved upstream sends nothing before the next request).
    mutating func feed(
        _ input: ByteBuffer, requestIsHEAD: Bool, _ emit: (Event) -> Void
    ) throws(ParseError) -> Int {
        var buffer: ByteBuffer
        if var kept = partial {
            partial = nil
            var input = input
            kept.writeBuffer(&input)
            buffer = kept
        } else {
            buffer = input
        }
        while buffer.readableBytes > 0 {
            switch state {
            case .head:
                guard let end = Self.headEnd(in: buffer) else {
                    if buffer.readableBytes > Self.maximumHeadBytes {
                        throw ParseError(description: "the response head is larger than \(Self.maximumHeadBytes / 1024) KiB")
                    }
                    partial = buffer
                    return 0
                }
                let headBytes = buffer.readSlice(length: end)!
                let parsed = try Self.parseHead(headBytes)
                let code = Int(parsed.head.status.code)
                if code >= 100 && code < 200 && code != 101 {
                    continue  // interim response: the real head follows
                }
                emit(.head(parsed.head))
                if requestIsHEAD || code < 200 || code == 204 || code == 304 {
                    isKeepAlive = parsed.keepAlive && code != 101
                    state = .head
                    emit(.end)
                    return buffer.readableBytes
                }
                if parsed.hasTransferEncoding {
                    // Transfer-Encoding overrides Content-Length; a message with both is suspect,
                    // so the connection is not reused after it (RFC 9112 §6.3).
                    if parsed.chunked {
                        state = .chunkSize
                        isKeepAlive = parsed.keepAlive && parsed.contentLength == nil
                    } else {
                        state = .untilClose
                        isKeepAlive = false
                    }
                } else if let length = parsed.contentLength {
                    isKeepAlive = parsed.keepAlive
                    if length == 0 {
                        emit(.end)
                        return buffer.readableBytes
                    }
                    state = .body(remaining: length)
                } else {
                    state = .untilClose
                    isKeepAlive = false
                }
            case .body(let remaining):
                let count = min(remaining, buffer.readableBytes)
                emit(.body(buffer.readSlice(length: count)!))
                if count == remaining {
                    state = .head
                    emit(.end)
                    return buffer.readableBytes
                }
                state = .body(remaining: remaining - count)
            case .chunkSize:
                guard let line = Self.line(in: buffer) else {
                    if buffer.readableBytes > Self.maximumChunkLineBytes {
                        throw ParseError(description: "a chunk-size line is longer than \(Self.maximumChunkLineBytes) bytes")
                    }
                    partial = buffer
                    return 0
                }
                let size = try Self.chunkSize(buffer.getSlice(at: buffer.readerIndex, length: line.content)!)
                buffer.moveReaderIndex(forwardBy: line.total)
                state = size == 0 ? .trailers : .chunkData(remaining: size)
            case .chunkData(let remaining):
                let count = min(remaining, buffer.readableBytes)
                emit(.body(buffer.readSlice(length: count)!))
                state = count == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - count)
            case .chunkDataEnd:
                guard let line = Self.line(in: buffer) else {
                    if buffer.readableBytes >= 2 || buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) != UInt8(ascii: "\r") {
                        throw ParseError(description: "a chunk's data is not followed by CRLF")
                    }
                    partial = buffer
                    return 0
                }
                guard line.content == 0 else {
                    throw ParseError(description: "a chunk's data is longer than its size")
                }
                buffer.moveReaderIndex(forwardBy: line.total)
                state = .chunkSize
            case .trailers:
                guard let line = Self.line(in: buffer) else {
                    if buffer.readableBytes > Self.maximumHeadBytes {
                        throw ParseError(description: "the trailer section is larger than \(Self.maximumHeadBytes / 1024) KiB")
                    }
                    partial = buffer
                    return 0
                }
                buffer.moveReaderIndex(forwardBy: line.total)
                if line.content == 0 {
                    state = .head
                    emit(.end)
                    return buffer.readableBytes
                }
            case .untilClose:
                emit(.body(buffer.readSlice(length: buffer.readableBytes)!))
            }
        }
        return 0
    }

    /// The connection closed. Returns whether that completed the response (a body delimited by
    /// the close); `false` when a response was cut short or none was under way.
    mutating func endOfInput() -> Bool {
        defer {
            state = .head
            partial = nil
        }
        if case .untilClose = state { return true }
        return false
    }

    // MARK: - Lines

    /// The length of the head including its empty last line, or `nil` when it is incomplete.
    private static func headEnd(in buffer: ByteBuffer) -> Int? {
        buffer.withUnsafeReadableBytes { bytes -> Int? in
            var lineStart = 0
            var index = 0
            let count = bytes.count
            while index < count {
                if bytes[index] == UInt8(ascii: "\n") {
                    let length = index - lineStart
                    if length == 0 || (length == 1 && bytes[lineStart] == UInt8(ascii: "\r")) {
                        // An empty line; a head never starts with one.
                        if lineStart > 0 { return index + 1 }
                    }
                    lineStart = index + 1
                }
                index += 1
            }
            return nil
        }
    }

    /// The next line: its length without the line break, and with it.
    private static func line(in buffer: ByteBuffer) -> (content: Int, total: Int)? {
        buffer.withUnsafeReadableBytes { bytes -> (Int, Int)? in
            guard let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
            let content = newline > 0 && bytes[newline - 1] == UInt8(ascii: "\r") ? newline - 1 : newline
            return (content, newline + 1)
        }
    }

    private static func chunkSize(_ line: ByteBuffer) throws(ParseError) -> Int {
        var size = 0
        var digits = 0
        var result: Result<Int, ParseError> = .success(0)
        line.withUnsafeReadableBytes { bytes in
            for byte in bytes {
                let value: Int
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): value = Int(byte - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): value = Int(byte - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): value = Int(byte - UInt8(ascii: "A") + 10)
                case UInt8(ascii: ";"), UInt8(ascii: " "), UInt8(ascii: "\t"):
                    // Chunk extensions (and whitespace before them) are ignored.
                    result = digits > 0 ? .success(size) : .failure(ParseError(description: "a chunk-size line has no size"))
                    return
                default:
                    result = .failure(ParseError(description: "a chunk-size line is not hexadecimal"))
                    return
                }
                digits += 1
                guard digits <= 15 else {
                    result = .failure(ParseError(description: "a chunk size is too large"))
                    return
                }
                size = size * 16 + value
            }
            result = digits > 0 ? .success(size) : .failure(ParseError(description: "a chunk-size line has no size"))
        }
        return try result.get()
    }

    // MARK: - Head

    private struct ParsedHead {
        var head: UpstreamResponseHead
        var keepAlive: Bool
        var contentLength: Int?
        var chunked: Bool
        var hasTransferEncoding: Bool
    }

    private static func parseHead(_ headBytes: ByteBuffer) throws(ParseError) -> ParsedHead {
        var result: Result<ParsedHead, ParseError>!
        headBytes.withUnsafeReadableBytes { raw in
            result = Result { () throws(ParseError) -> ParsedHead in
                try parseHead(raw.bindMemory(to: UInt8.self), bytes: headBytes)
            }
        }
        return try result.get()
    }

    private static func parseHead(_ b: UnsafeBufferPointer<UInt8>, bytes: ByteBuffer) throws(ParseError) -> ParsedHead {
        // Status line: HTTP/x.y SP 3DIGIT [SP reason]
        var index = 0
        let count = b.count
        func lineEnd(from start: Int) -> (content: Int, next: Int) {
            var i = start
            while i < count && b[i] != UInt8(ascii: "\n") { i += 1 }
            let content = i > start && b[i - 1] == UInt8(ascii: "\r") ? i - 1 : i
            return (content, min(i + 1, count))
        }
        let statusLine = lineEnd(from: 0)
        guard statusLine.content >= 12,
            b[0] == UInt8(ascii: "H"), b[1] == UInt8(ascii: "T"), b[2] == UInt8(ascii: "T"), b[3] == UInt8(ascii: "P"),
            b[4] == UInt8(ascii: "/"), isDigit(b[5]), b[6] == UInt8(ascii: "."), isDigit(b[7]), b[8] == UInt8(ascii: " "),
            isDigit(b[9]), isDigit(b[10]), isDigit(b[11]),
            statusLine.content == 12 || b[12] == UInt8(ascii: " ")
        else {
            throw ParseError(description: "the status line is not HTTP/1.x with a 3-digit status")
        }
        let version = HTTPVersion(major: Int(b[5] - 48), minor: Int(b[7] - 48))
        guard version.major == 1 else {
            throw ParseError(description: "the response is HTTP/\(version.major).\(version.minor), not HTTP/1.x")
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

        var fields: [UpstreamResponseHead.FieldPosition] = []
        fields.reserveCapacity(16)
        var connectionClose = false
        var connectionKeepAlive = false
        var contentLength: Int?
        var chunked = false
        var hasTransferEncoding = false
        index = statusLine.next
        while index < count {
            let line = lineEnd(from: index)
            if line.content == index { break }  // the empty line that ends the head
            if b[index] == UInt8(ascii: " ") || b[index] == UInt8(ascii: "\t") {
                throw ParseError(description: "the head uses obsolete line folding")
            }
            var colon = index
            while colon < line.content && b[colon] != UInt8(ascii: ":") {
                guard isTokenByte(b[colon]) else {
                    throw ParseError(description: "a header name contains a character HTTP does not allow")
                }
                colon += 1
            }
            guard colon < line.content, colon > index else {
                throw ParseError(description: "a header line has no name or no colon")
            }
            var valueStart = colon + 1
            var valueEnd = line.content
            while valueStart < valueEnd && (b[valueStart] == UInt8(ascii: " ") || b[valueStart] == UInt8(ascii: "\t")) { valueStart += 1 }
            while valueEnd > valueStart && (b[valueEnd - 1] == UInt8(ascii: " ") || b[valueEnd - 1] == UInt8(ascii: "\t")) { valueEnd -= 1 }
            for i in valueStart..<valueEnd where b[i] == 0 || b[i] == UInt8(ascii: "\r") {
                throw ParseError(description: "a header value contains NUL or a bare CR")
            }
            let name = UnsafeBufferPointer(rebasing: b[index..<colon])
            let value = UnsafeBufferPointer(rebasing: b[valueStart..<valueEnd])
            switch name.count {
            case 10 where equalsLowercase(name, "connection"):
                forEachToken(value) { token in
                    if equalsLowercase(token, "close") { connectionClose = true }
                    if equalsLowercase(token, "keep-alive") { connectionKeepAlive = true }
                }
            case 14 where equalsLowercase(name, "content-length"):
                var failed = false
                forEachToken(value) { token in
                    guard let length = decimal(token), contentLength == nil || contentLength == length else {
                        failed = true
                        return
                    }
                    contentLength = length
                }
                if failed || value.isEmpty {
                    throw ParseError(description: "the Content-Length is not one non-negative number")
                }
            case 17 where equalsLowercase(name, "transfer-encoding"):
                hasTransferEncoding = true
                var last: UnsafeBufferPointer<UInt8>?
                forEachToken(value) { last = $0 }
                chunked = last.map { equalsLowercase($0, "chunked") } ?? false
            default:
                break
            }
            fields.append(
                UpstreamResponseHead.FieldPosition(
                    nameStart: Int32(index), nameLength: Int32(colon - index), valueStart: Int32(valueStart),
                    valueLength: Int32(valueEnd - valueStart)))
            index = line.next
        }
        let keepAlive = version.minor >= 1 ? !connectionClose : (connectionKeepAlive && !connectionClose)
        return ParsedHead(
            head: UpstreamResponseHead(status: status, version: version, bytes: bytes, fields: fields),
            keepAlive: keepAlive, contentLength: contentLength, chunked: chunked,
            hasTransferEncoding: hasTransferEncoding)
    }

    @inline(__always)
    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
            UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
            UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    private static func equalsLowercase(_ bytes: UnsafeBufferPointer<UInt8>, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        return lowercase.withUTF8Buffer { expected in
            for index in 0..<expected.count where UpstreamResponseHead.lower(bytes[index]) != expected[index] {
                return false
            }
            return true
        }
    }

    /// Calls `body` with each comma-separated element of a field value, trimmed.
    private static func forEachToken(_ value: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        var start = 0
        while start <= value.count {
            var end = start
            while end < value.count && value[end] != UInt8(ascii: ",") { end += 1 }
            var first = start
            var last = end
            while first < last && (value[first] == UInt8(ascii: " ") || value[first] == UInt8(ascii: "\t")) { first += 1 }
            while last > first && (value[last - 1] == UInt8(ascii: " ") || value[last - 1] == UInt8(ascii: "\t")) { last -= 1 }
            if last > first { body(UnsafeBufferPointer(rebasing: value[first..<last])) }
            start = end + 1
        }
    }

    private static func decimal(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var value = 0
        for byte in bytes {
            guard isDigit(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }
}
