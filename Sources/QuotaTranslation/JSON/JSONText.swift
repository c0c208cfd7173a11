/// The bytes of one parsed JSON document, shared by the ``JSONText`` values that point into it.
final class JSONSource: Sendable {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }
}

/// A JSON string value that is decoded only when someone needs its characters.
///
/// A parsed string stays a slice of the document's bytes, still escaped as it came (the parser has
/// validated its escapes and UTF-8). Written back out, such a slice is copied as it is: long message
/// texts, tool results and base64 images cross a translation as a `memcpy`, without being unescaped,
/// turned into a `String` and escaped again. ``string`` decodes on demand.
struct JSONText: Sendable, Equatable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    private enum Storage: Sendable {
        case raw(JSONSource, start: Int, count: Int, escaped: Bool)
        case string(String)
    }

    private let storage: Storage

    init(_ string: String) {
        storage = .string(string)
    }

    init(stringLiteral value: String) {
        storage = .string(value)
    }

    /// A slice of `source` holding a string's content without its quotes.
    init(source: JSONSource, start: Int, count: Int, escaped: Bool) {
        storage = .raw(source, start: start, count: count, escaped: escaped)
    }

    /// The characters.
    var string: String {
        switch storage {
        case .string(let string):
            return string
        case .raw(let source, let start, let count, let escaped):
            return source.bytes.withUnsafeBufferPointer { buffer in
                let slice = UnsafeBufferPointer(rebasing: buffer[start..<(start + count)])
                return escaped ? JSONEscapes.unescape(slice) : String(decoding: slice, as: UTF8.self)
            }
        }
    }

    var description: String { string }

    var isEmpty: Bool {
        switch storage {
        case .string(let string): string.isEmpty
        case .raw(_, _, let count, _): count == 0
        }
    }

    /// Whether the text starts with `byte` (an ASCII character), without decoding it.
    func hasPrefix(_ byte: UInt8) -> Bool {
        switch storage {
        case .string(let string): return string.utf8.first == byte
        case .raw(let source, let start, let count, _): return count > 0 && source.bytes[start] == byte
        }
    }

    /// The length of the text as it would be written (escaped), for size limits.
    var encodedCount: Int {
        switch storage {
        case .string(let string): string.utf8.count
        case .raw(_, _, let count, _): count
        }
    }

    /// Writes the text's JSON string content, without the quotes.
    func writeContent(into bytes: inout [UInt8]) {
        switch storage {
        case .string(let string):
            var quoted: [UInt8] = []
            JSONEscapes.appendQuoted(string, to: &quoted)
            bytes.append(contentsOf: quoted[1..<(quoted.count - 1)])
        case .raw(let source, let start, let count, _):
            source.bytes.withUnsafeBufferPointer { buffer in
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[start..<(start + count)]))
            }
        }
    }

    /// The parts of a `data:<media type>;base64,<data>` URL, the data still undecoded when it can be.
    func dataURL() -> (mediaType: String, data: JSONText)? {
        if case .raw(let source, let start, let count, false) = storage {
            let bytes = source.bytes
            let prefix = Array("data:".utf8)
            guard count > prefix.count, bytes[start..<(start + prefix.count)].elementsEqual(prefix),
                let comma = bytes[start..<(start + count)].firstIndex(of: UInt8(ascii: ","))
            else { return nil }
            let header = String(decoding: bytes[(start + prefix.count)..<comma], as: UTF8.self)
            guard header.hasSuffix(";base64") else { return nil }
            var mediaType = header.dropLast(7)
            if let semicolon = mediaType.firstIndex(of: ";") { mediaType = mediaType[..<semicolon] }
            guard !mediaType.isEmpty else { return nil }
            return (String(mediaType), JSONText(source: source, start: comma + 1, count: start + count - comma - 1, escaped: false))
        }
        guard let parsed = DataURL.parse(string) else { return nil }
        return (parsed.mediaType, JSONText(parsed.data))
    }

    /// Writes the text as a quoted JSON string.
    func write(into bytes: inout [UInt8]) {
        switch storage {
        case .string(let string):
            JSONEscapes.appendQuoted(string, to: &bytes)
        case .raw(let source, let start, let count, _):
            bytes.append(UInt8(ascii: "\""))
            source.bytes.withUnsafeBufferPointer { buffer in
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[start..<(start + count)]))
            }
            bytes.append(UInt8(ascii: "\""))
        }
    }

    /// This text followed by `other` (decoded: only for short joins).
    func appending(_ other: JSONText, separator: String = "") -> JSONText {
        if isEmpty { return other }
        if other.isEmpty { return self }
        return JSONText(string + separator + other.string)
    }

    static func == (lhs: JSONText, rhs: JSONText) -> Bool {
        if case .raw(let a, let aStart, let aCount, false) = lhs.storage,
            case .raw(let b, let bStart, let bCount, false) = rhs.storage
        {
            return aCount == bCount && a.bytes[aStart..<(aStart + aCount)].elementsEqual(b.bytes[bStart..<(bStart + bCount)])
        }
        return lhs.string == rhs.string
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(string)
    }
}

/// Escaping and unescaping of JSON string contents.
enum JSONEscapes {
    /// Decodes validated string content (between the quotes); anything malformed becomes U+FFFD.
    static func unescape(_ input: UnsafeBufferPointer<UInt8>) -> String {
        String(unsafeUninitializedCapacity: input.count) { output in
            var read = 0
            var written = 0
            let count = input.count
            func put(_ byte: UInt8) {
                output[written] = byte
                written += 1
            }
            func hex4(at position: Int) -> UInt32? {
                guard position + 4 <= count else { return nil }
                var value: UInt32 = 0
                for offset in 0..<4 {
                    let digit = input[position + offset]
                    let nibble: UInt8
                    switch digit {
                    case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = digit - UInt8(ascii: "0")
                    case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = digit - UInt8(ascii: "a") + 10
                    case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = digit - UInt8(ascii: "A") + 10
                    default: return nil
                    }
                    value = value << 4 | UInt32(nibble)
                }
                return value
            }
            func putScalar(_ scalar: UInt32) {
                switch scalar {
                case 0..<0x80: put(UInt8(scalar))
                case 0x80..<0x800:
                    put(UInt8(0xC0 | (scalar >> 6)))
                    put(UInt8(0x80 | (scalar & 0x3F)))
                case 0x800..<0x10000:
                    put(UInt8(0xE0 | (scalar >> 12)))
                    put(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
                    put(UInt8(0x80 | (scalar & 0x3F)))
                default:
                    put(UInt8(0xF0 | (scalar >> 18)))
                    put(UInt8(0x80 | ((scalar >> 12) & 0x3F)))
                    put(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
                    put(UInt8(0x80 | (scalar & 0x3F)))
                }
            }
            while read < count {
                let byte = input[read]
                guard byte == UInt8(ascii: "\\"), read + 1 < count else {
                    put(byte)
                    read += 1
                    continue
                }
                let escape = input[read + 1]
                read += 2
                switch escape {
                case UInt8(ascii: "b"): put(0x08)
                case UInt8(ascii: "f"): put(0x0C)
                case UInt8(ascii: "n"): put(0x0A)
                case UInt8(ascii: "r"): put(0x0D)
                case UInt8(ascii: "t"): put(0x09)
                case UInt8(ascii: "u"):
                    guard var scalar = hex4(at: read) else {
                        putScalar(0xFFFD)
                        continue
                    }
                    read += 4
                    if scalar >= 0xD800, scalar < 0xDC00 {
                        if read + 6 <= count, input[read] == UInt8(ascii: "\\"), input[read + 1] == UInt8(ascii: "u"),
                            let low = hex4(at: read + 2), low >= 0xDC00, low < 0xE000
                        {
                            read += 6
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            scalar = 0xFFFD
                        }
                    } else if scalar >= 0xDC00, scalar < 0xE000 {
                        scalar = 0xFFFD
                    }
                    putScalar(scalar)
                default:
                    put(escape)  // \" \\ \/
                }
            }
            return written
        }
    }

    /// Appends `text` as a quoted JSON string, escaping what JSON requires.
    static func appendQuoted(_ text: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            guard let base = utf8.baseAddress else { return }
            let count = utf8.count
            var runStart = 0
            var index = 0
            while index < count {
                let byte = base[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else {
                    index += 1
                    continue
                }
                if runStart < index {
                    bytes.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: index - runStart))
                }
                index += 1
                runStart = index
                bytes.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\""))
                case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\"))
                case 0x0A: bytes.append(UInt8(ascii: "n"))
                case 0x0D: bytes.append(UInt8(ascii: "r"))
                case 0x09: bytes.append(UInt8(ascii: "t"))
                case 0x08: bytes.append(UInt8(ascii: "b"))
                case 0x0C: bytes.append(UInt8(ascii: "f"))
                default:
                    let hex: StaticString = "0123456789abcdef"
                    bytes.append(UInt8(ascii: "u"))
                    bytes.append(UInt8(ascii: "0"))
                    bytes.append(UInt8(ascii: "0"))
                    bytes.append(hex.utf8Start[Int(byte >> 4)])
                    bytes.append(hex.utf8Start[Int(byte & 0xF)])
                }
            }
            if runStart < count {
                bytes.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: count - runStart))
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
