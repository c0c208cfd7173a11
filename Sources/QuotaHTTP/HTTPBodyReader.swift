import NIOCore

/// Reads one message body off raw socket bytes, in whichever framing the head chose, handing it
/// on as slices of the bytes read (no copies) with chunked framing undone (RFC 9112 §7.1:
/// chunk extensions ignored, trailers read and dropped).
public struct HTTPBodyReader: Sendable {
    /// How the body is delimited.
    public enum Framing: Sendable, Hashable {
        /// Exactly this many bytes.
        case length(Int)
        case chunked
        /// Everything until the connection closes (responses only).
        case untilClose
    }

    /// What ``read(_:_:)`` reached.
    public enum Progress: Sendable, Hashable {
        /// The body is complete; `buffer` holds what follows it.
        case complete
        /// Every byte was used, or the rest is an incomplete line left in `buffer`: call again
        /// with those bytes and more.
        case needsMore
    }

    /// The longest chunk-size line accepted (extensions included).
    public static let maximumChunkLineBytes = 4096

    private enum State: Sendable, Hashable {
        case length(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        /// The CRLF after a chunk's data.
        case chunkDataEnd
        case trailers(bytes: Int)
        case untilClose
    }

    private var state: State

    public init(_ framing: Framing) {
        switch framing {
        case .length(let length): state = .length(remaining: length)
        case .chunked: state = .chunkSize
        case .untilClose: state = .untilClose
        }
    }

    /// Whether the body ends only when the connection does.
    public var endsWithConnection: Bool {
        if case .untilClose = state { return true }
        return false
    }

    /// Reads body bytes from `buffer` (moving its reader index), calling `part` with each piece.
    public mutating func read(_ buffer: inout ByteBuffer, _ part: (ByteBuffer) -> Void) throws(HTTPParseError) -> Progress {
        while true {
            switch state {
            case .length(let remaining):
                if remaining == 0 { return .complete }
                guard buffer.readableBytes > 0 else { return .needsMore }
                let count = min(remaining, buffer.readableBytes)
                part(buffer.readSlice(length: count)!)
                state = .length(remaining: remaining - count)
            case .chunkSize:
                guard let line = HTTPHeadScanner.line(in: buffer) else {
                    if buffer.readableBytes > Self.maximumChunkLineBytes {
                        throw HTTPParseError("a chunk-size line is longer than \(Self.maximumChunkLineBytes) bytes")
                    }
                    return .needsMore
                }
                let size = try Self.chunkSize(buffer, length: line.content)
                buffer.moveReaderIndex(forwardBy: line.total)
                state = size == 0 ? .trailers(bytes: 0) : .chunkData(remaining: size)
            case .chunkData(let remaining):
                guard buffer.readableBytes > 0 else { return .needsMore }
                let count = min(remaining, buffer.readableBytes)
                part(buffer.readSlice(length: count)!)
                state = count == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - count)
            case .chunkDataEnd:
                guard let line = HTTPHeadScanner.line(in: buffer) else {
                    if buffer.readableBytes >= 2
                        || (buffer.readableBytes == 1 && buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) != UInt8(ascii: "\r"))
                    {
                        throw HTTPParseError("a chunk's data is not followed by CRLF")
                    }
                    return .needsMore
                }
                guard line.content == 0 else {
                    throw HTTPParseError("a chunk's data is longer than its size")
                }
                buffer.moveReaderIndex(forwardBy: line.total)
                state = .chunkSize
            case .trailers(let seen):
                guard let line = HTTPHeadScanner.line(in: buffer) else {
                    if seen + buffer.readableBytes > HTTPHeadScanner.maximumHeadBytes {
                        throw HTTPParseError("the trailer section is larger than \(HTTPHeadScanner.maximumHeadBytes / 1024) KiB")
                    }
                    return .needsMore
                }
                if seen + line.total > HTTPHeadScanner.maximumHeadBytes {
                    throw HTTPParseError("the trailer section is larger than \(HTTPHeadScanner.maximumHeadBytes / 1024) KiB")
                }
                buffer.moveReaderIndex(forwardBy: line.total)
                if line.content == 0 { return .complete }
                state = .trailers(bytes: seen + line.total)
            case .untilClose:
                if buffer.readableBytes > 0 {
                    part(buffer.readSlice(length: buffer.readableBytes)!)
                }
                return .needsMore
            }
        }
    }

    /// The hexadecimal size at the start of a chunk-size line (extensions after `;` ignored).
    private static func chunkSize(_ buffer: ByteBuffer, length: Int) throws(HTTPParseError) -> Int {
        let parsed: Int? = buffer.withUnsafeReadableBytes { bytes in
            var size = 0
            var digits = 0
            for index in 0..<length {
                let byte = bytes[index]
                let value: Int
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): value = Int(byte - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): value = Int(byte - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): value = Int(byte - UInt8(ascii: "A") + 10)
                case UInt8(ascii: ";"), UInt8(ascii: " "), UInt8(ascii: "\t"):
                    return digits > 0 ? size : nil
                default:
                    return nil
                }
                digits += 1
                guard digits <= 15 else { return nil }
                size = size * 16 + value
            }
            return digits > 0 ? size : nil
        }
        guard let parsed else {
            throw HTTPParseError("a chunk-size line is not a hexadecimal size of at most 15 digits")
        }
        return parsed
    }
}
