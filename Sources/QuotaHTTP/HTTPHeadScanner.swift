import NIOCore

/// Why bytes are not a valid HTTP/1.1 message. The message names what was wrong, never the
/// value that was (a header value may be a credential).
public struct HTTPParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    /// Whether the head was over the size limit (a server answers 431 rather than 400).
    public var isHeadTooLarge: Bool

    public init(_ description: String, isHeadTooLarge: Bool = false) {
        self.description = description
        self.isHeadTooLarge = isHeadTooLarge
    }
}

/// Where one header field's name and value are in a head's bytes.
public struct HTTPFieldPosition: Sendable, Hashable {
    public var nameStart: Int32
    public var nameLength: Int32
    public var valueStart: Int32
    public var valueLength: Int32

    public init(name: Range<Int>, value: Range<Int>) {
        self.nameStart = Int32(name.lowerBound)
        self.nameLength = Int32(name.count)
        self.valueStart = Int32(value.lowerBound)
        self.valueLength = Int32(value.count)
    }

    public var name: Range<Int> { Int(nameStart)..<Int(nameStart + nameLength) }
    public var value: Range<Int> { Int(valueStart)..<Int(valueStart + valueLength) }
}

/// What the `Connection` fields of a message say about keeping the connection (RFC 9112 §9.3).
public struct ConnectionOptions: Sendable {
    public private(set) var close = false
    public private(set) var keepAlive = false

    public init() {}

    /// Reads one `Connection` field value.
    public mutating func add(_ value: UnsafeBufferPointer<UInt8>) {
        HTTPHeadScanner.forEachElement(value) { token in
            if HTTPHeadScanner.equalsLowercase(token, "close") { close = true }
            if HTTPHeadScanner.equalsLowercase(token, "keep-alive") { keepAlive = true }
        }
    }

    /// Whether the connection persists after a message of HTTP/1.`minorVersion`: by default
    /// from 1.1 on, unless `close`; for 1.0 only with `keep-alive`.
    public func persists(minorVersion: Int) -> Bool {
        minorVersion >= 1 ? !close : (keepAlive && !close)
    }
}

/// The byte-level pieces of HTTP/1.1 message parsing shared by the request parser (client side)
/// and the response parser (upstream side): finding lines and the end of a head, scanning header
/// fields (RFC 9112 §5: token names, no whitespace before the colon, no obsolete line folding,
/// optional whitespace around values), and reading list values and numbers.
///
/// Lines end in CRLF; a bare LF is accepted as well (RFC 9112 §2.2).
public enum HTTPHeadScanner {
    /// The largest head (or trailer section) accepted.
    public static let maximumHeadBytes = 80 * 1024

    /// Where the search for the end of a head stopped, so that the next read resumes there
    /// instead of scanning the bytes already seen again (a head trickling in byte by byte then
    /// costs linear, not quadratic, time).
    public struct HeadSearch: Sendable, Hashable {
        /// Where the line being scanned starts.
        var lineStart = 0
        /// The first byte not scanned yet.
        var index = 0

        public init() {}
    }

    /// The length of the head including its empty last line, or `nil` when it is incomplete.
    public static func headEnd(in buffer: ByteBuffer) -> Int? {
        var search = HeadSearch()
        return headEnd(in: buffer, search: &search)
    }

    /// The length of the head including its empty last line, or `nil` when no head ends within the
    /// first ``maximumHeadBytes`` readable bytes. Scanning starts where `search` stopped last time
    /// (the buffer's readable bytes must start at the same place as then) and stops at that limit.
    public static func headEnd(in buffer: ByteBuffer, search: inout HeadSearch) -> Int? {
        buffer.withUnsafeReadableBytes { bytes -> Int? in
            var lineStart = search.lineStart
            var index = search.index
            let count = min(bytes.count, maximumHeadBytes)
            while index < count {
                if bytes[index] == UInt8(ascii: "\n") {
                    let length = index - lineStart
                    if lineStart > 0 && (length == 0 || (length == 1 && bytes[lineStart] == UInt8(ascii: "\r"))) {
                        search = HeadSearch()
                        return index + 1
                    }
                    lineStart = index + 1
                }
                index += 1
            }
            search.lineStart = lineStart
            search.index = index
            return nil
        }
    }

    /// Takes a complete head off the front of `buffer`, or returns `nil` when it has not all
    /// arrived yet (then keep `buffer` for the next read). Empty lines before it are skipped
    /// (RFC 9112 §2.2). Throws when the head is over ``maximumHeadBytes``, whether it arrived in
    /// pieces or in one read.
    public static func takeHead(from buffer: inout ByteBuffer, of message: StaticString) throws(HTTPParseError) -> ByteBuffer? {
        var search = HeadSearch()
        return try takeHead(from: &buffer, of: message, search: &search)
    }

    /// ``takeHead(from:of:)`` resuming the search where the previous call on the same (grown)
    /// buffer stopped; `search` is reset once a head is taken.
    public static func takeHead(
        from buffer: inout ByteBuffer, of message: StaticString, search: inout HeadSearch
    ) throws(HTTPParseError) -> ByteBuffer? {
        if search.index == 0 {
            while let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self),
                first == UInt8(ascii: "\r") || first == UInt8(ascii: "\n")
            {
                buffer.moveReaderIndex(forwardBy: 1)
            }
        }
        guard buffer.readableBytes > 0 else { return nil }
        guard let end = headEnd(in: buffer, search: &search) else {
            if buffer.readableBytes >= maximumHeadBytes {
                search = HeadSearch()
                throw HTTPParseError("the \(message) head is larger than \(maximumHeadBytes / 1024) KiB", isHeadTooLarge: true)
            }
            return nil
        }
        return buffer.readSlice(length: end)!
    }

    /// Runs `body` over the readable bytes of `buffer`.
    public static func withBytes<Result>(
        _ buffer: ByteBuffer, _ body: (UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> Result
    ) throws(HTTPParseError) -> Result {
        var outcome: Swift.Result<Result, HTTPParseError>!
        buffer.withUnsafeReadableBytes { raw in
            outcome = Swift.Result { () throws(HTTPParseError) -> Result in try body(raw.bindMemory(to: UInt8.self)) }
        }
        return try outcome.get()
    }

    /// The next line in `buffer`: its length without the line break, and with it.
    public static func line(in buffer: ByteBuffer) -> (content: Int, total: Int)? {
        buffer.withUnsafeReadableBytes { bytes -> (Int, Int)? in
            guard let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
            let content = newline > 0 && bytes[newline - 1] == UInt8(ascii: "\r") ? newline - 1 : newline
            return (content, newline + 1)
        }
    }

    /// The line starting at `start`: where its content ends and where the next line starts.
    public static func lineEnd(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> (content: Int, next: Int) {
        var index = start
        while index < bytes.count && bytes[index] != UInt8(ascii: "\n") { index += 1 }
        let content = index > start && bytes[index - 1] == UInt8(ascii: "\r") ? index - 1 : index
        return (content, min(index + 1, bytes.count))
    }

    /// Scans the header lines from `start` up to the empty line, calling `body` with each field's
    /// name and (trimmed) value ranges.
    public static func scanFields(
        _ bytes: UnsafeBufferPointer<UInt8>, from start: Int,
        _ body: (_ name: Range<Int>, _ value: Range<Int>) throws(HTTPParseError) -> Void
    ) throws(HTTPParseError) {
        var index = start
        while index < bytes.count {
            let line = lineEnd(bytes, from: index)
            if line.content == index { return }  // the empty line that ends the head
            if bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") {
                throw HTTPParseError("the head uses obsolete line folding")
            }
            var colon = index
            while colon < line.content && bytes[colon] != UInt8(ascii: ":") {
                guard isTokenByte(bytes[colon]) else {
                    throw HTTPParseError("a header name contains a character HTTP does not allow")
                }
                colon += 1
            }
            guard colon < line.content, colon > index else {
                throw HTTPParseError("a header line has no name or no colon")
            }
            var valueStart = colon + 1
            var valueEnd = line.content
            while valueStart < valueEnd && isWhitespace(bytes[valueStart]) { valueStart += 1 }
            while valueEnd > valueStart && isWhitespace(bytes[valueEnd - 1]) { valueEnd -= 1 }
            for position in valueStart..<valueEnd where bytes[position] == 0 || bytes[position] == UInt8(ascii: "\r") {
                throw HTTPParseError("a header value contains NUL or a bare CR")
            }
            try body(index..<colon, valueStart..<valueEnd)
            index = line.next
        }
    }

    /// Whether `bytes` equal a lower-case ASCII literal, ignoring ASCII case.
    public static func equalsLowercase(_ bytes: UnsafeBufferPointer<UInt8>, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        return lowercase.withUTF8Buffer { expected in
            for index in 0..<expected.count where lower(bytes[index]) != expected[index] {
                return false
            }
            return true
        }
    }

    /// Calls `body` with each non-empty comma-separated element of a list value, trimmed.
    public static func forEachElement(_ value: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        var start = 0
        while start <= value.count {
            var end = start
            while end < value.count && value[end] != UInt8(ascii: ",") { end += 1 }
            var first = start
            var last = end
            while first < last && isWhitespace(value[first]) { first += 1 }
            while last > first && isWhitespace(value[last - 1]) { last -= 1 }
            if last > first { body(UnsafeBufferPointer(rebasing: value[first..<last])) }
            start = end + 1
        }
    }

    /// Whether a `Transfer-Encoding` value ends in `chunked` (the only final coding understood).
    public static func endsInChunked(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        var last: UnsafeBufferPointer<UInt8>?
        forEachElement(value) { last = $0 }
        return last.map { equalsLowercase($0, "chunked") } ?? false
    }

    /// A non-negative decimal number of at most 18 digits.
    public static func decimal(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var value = 0
        for byte in bytes {
            guard isDigit(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    /// A `Content-Length` value: one number, or the same number repeated in a list.
    /// Throws for anything else (RFC 9112 §6.3: an invalid length is unrecoverable).
    public static func contentLength(_ value: UnsafeBufferPointer<UInt8>, previous: Int?) throws(HTTPParseError) -> Int {
        var result = previous
        var failed = value.isEmpty
        forEachElement(value) { element in
            guard let length = decimal(element), result == nil || result == length else {
                failed = true
                return
            }
            result = length
        }
        guard !failed, let result else {
            throw HTTPParseError("the Content-Length is not one non-negative number")
        }
        return result
    }

    @inline(__always)
    public static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    @inline(__always)
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }

    @inline(__always)
    public static func lower(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }

    /// RFC 9110 token characters: visible ASCII except delimiters.
    public static func isTokenByte(_ byte: UInt8) -> Bool {
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
}
