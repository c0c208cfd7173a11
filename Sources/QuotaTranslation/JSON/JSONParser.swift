/// Why a byte sequence is not the JSON it should be.
struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Offset of the offending byte.
    var offset: Int
    var reason: String

    var description: String { "\(reason) at byte \(offset)" }
}

/// A strict, allocation-light JSON parser (RFC 8259) over raw bytes.
///
/// Strings without escapes are copied straight out of the input; numbers keep their literal text;
/// nesting is bounded by `maxDepth` so hostile input cannot exhaust the stack.
struct JSONParser {
    private let base: UnsafePointer<UInt8>?
    private let end: Int
    private var index = 0
    private var depth = 0
    private let maxDepth: Int

    private init(bytes: UnsafeRawBufferPointer, maxDepth: Int) {
        self.base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        self.end = bytes.count
        self.maxDepth = maxDepth
    }

    /// Parses one JSON document (surrounding whitespace allowed, nothing else after it).
    static func parse(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = 128) throws(JSONParseError) -> JSON {
        var parser = JSONParser(bytes: bytes, maxDepth: maxDepth)
        parser.skipWhitespace()
        let value = try parser.parseValue()
        parser.skipWhitespace()
        guard parser.index == parser.end else {
            throw JSONParseError(offset: parser.index, reason: "unexpected data after the JSON value")
        }
        return value
    }

    static func parse(_ bytes: [UInt8], maxDepth: Int = 128) throws(JSONParseError) -> JSON {
        do {
            return try bytes.withUnsafeBytes { buffer in try parse(buffer, maxDepth: maxDepth) }
        } catch let error as JSONParseError {
            throw error
        } catch {
            throw JSONParseError(offset: 0, reason: "\(error)")
        }
    }

    static func parse(_ text: String, maxDepth: Int = 128) throws(JSONParseError) -> JSON {
        try parse(Array(text.utf8), maxDepth: maxDepth)
    }

    @inline(__always)
    private func byte(at position: Int) -> UInt8 {
        base.unsafelyUnwrapped[position]
    }

    @inline(__always)
    private mutating func skipWhitespace() {
        while index < end {
            switch byte(at: index) {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private mutating func parseValue() throws(JSONParseError) -> JSON {
        guard index < end else { throw JSONParseError(offset: index, reason: "unexpected end of JSON") }
        switch byte(at: index) {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw JSONParseError(offset: index, reason: "unexpected character")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        guard end - index >= count else { throw JSONParseError(offset: index, reason: "unexpected end of JSON") }
        let expected = literal.utf8Start
        for offset in 0..<count where byte(at: index + offset) != expected[offset] {
            throw JSONParseError(offset: index + offset, reason: "invalid literal")
        }
        index += count
    }

    private mutating func enter() throws(JSONParseError) {
        depth += 1
        if depth > maxDepth {
            throw JSONParseError(offset: index, reason: "JSON nested deeper than \(maxDepth) levels")
        }
    }

    private mutating func parseObject() throws(JSONParseError) -> JSON {
        try enter()
        index += 1
        var fields: [JSONField] = []
        skipWhitespace()
        if index < end, byte(at: index) == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return .object(JSONObject(fields))
        }
        while true {
            skipWhitespace()
            guard index < end, byte(at: index) == UInt8(ascii: "\"") else {
                throw JSONParseError(offset: index, reason: "expected a string key")
            }
            let key = try parseString()
            skipWhitespace()
            guard index < end, byte(at: index) == UInt8(ascii: ":") else {
                throw JSONParseError(offset: index, reason: "expected ':'")
            }
            index += 1
            skipWhitespace()
            let value = try parseValue()
            fields.append(JSONField(key: key, value: value))
            skipWhitespace()
            guard index < end else { throw JSONParseError(offset: index, reason: "unexpected end of JSON") }
            let next = byte(at: index)
            index += 1
            if next == UInt8(ascii: ",") { continue }
            if next == UInt8(ascii: "}") { break }
            throw JSONParseError(offset: index - 1, reason: "expected ',' or '}'")
        }
        depth -= 1
        return .object(JSONObject(fields))
    }

    private mutating func parseArray() throws(JSONParseError) -> JSON {
        try enter()
        index += 1
        var elements: [JSON] = []
        skipWhitespace()
        if index < end, byte(at: index) == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue())
            skipWhitespace()
            guard index < end else { throw JSONParseError(offset: index, reason: "unexpected end of JSON") }
            let next = byte(at: index)
            index += 1
            if next == UInt8(ascii: ",") { continue }
            if next == UInt8(ascii: "]") { break }
            throw JSONParseError(offset: index - 1, reason: "expected ',' or ']'")
        }
        depth -= 1
        return .array(elements)
    }

    private mutating func parseNumber() throws(JSONParseError) -> String {
        let start = index
        if byte(at: index) == UInt8(ascii: "-") { index += 1 }
        guard index < end else { throw JSONParseError(offset: index, reason: "invalid number") }
        if byte(at: index) == UInt8(ascii: "0") {
            index += 1
        } else if isDigit(byte(at: index)) {
            while index < end, isDigit(byte(at: index)) { index += 1 }
        } else {
            throw JSONParseError(offset: index, reason: "invalid number")
        }
        if index < end, byte(at: index) == UInt8(ascii: ".") {
            index += 1
            guard index < end, isDigit(byte(at: index)) else {
                throw JSONParseError(offset: index, reason: "invalid number")
            }
            while index < end, isDigit(byte(at: index)) { index += 1 }
        }
        if index < end, byte(at: index) | 0x20 == UInt8(ascii: "e") {
            index += 1
            if index < end, byte(at: index) == UInt8(ascii: "+") || byte(at: index) == UInt8(ascii: "-") {
                index += 1
            }
            guard index < end, isDigit(byte(at: index)) else {
                throw JSONParseError(offset: index, reason: "invalid number")
            }
            while index < end, isDigit(byte(at: index)) { index += 1 }
        }
        return String(decoding: UnsafeBufferPointer(start: base.unsafelyUnwrapped + start, count: index - start),
                      as: UTF8.self)
    }

    @inline(__always)
    private func isDigit(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "0") < 10
    }

    /// Parses a string starting at its opening quote.
    private mutating func parseString() throws(JSONParseError) -> String {
        index += 1
        let start = index
        while index < end {
            let current = byte(at: index)
            if current == UInt8(ascii: "\"") {
                let text = String(
                    decoding: UnsafeBufferPointer(start: base.unsafelyUnwrapped + start, count: index - start),
                    as: UTF8.self)
                index += 1
                return text
            }
            if current == UInt8(ascii: "\\") {
                return try parseEscapedString(start: start)
            }
            if current < 0x20 {
                throw JSONParseError(offset: index, reason: "control character in a string")
            }
            index += 1
        }
        throw JSONParseError(offset: start - 1, reason: "unterminated string")
    }

    /// The slow path of ``parseString()``: the string has escapes.
    private mutating func parseEscapedString(start: Int) throws(JSONParseError) -> String {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(index - start + 16)
        buffer.append(contentsOf: UnsafeBufferPointer(start: base.unsafelyUnwrapped + start, count: index - start))
        while index < end {
            let current = byte(at: index)
            if current == UInt8(ascii: "\"") {
                index += 1
                return String(decoding: buffer, as: UTF8.self)
            }
            if current < 0x20 {
                throw JSONParseError(offset: index, reason: "control character in a string")
            }
            if current != UInt8(ascii: "\\") {
                buffer.append(current)
                index += 1
                continue
            }
            index += 1
            guard index < end else { break }
            let escape = byte(at: index)
            index += 1
            switch escape {
            case UInt8(ascii: "\""): buffer.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): buffer.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "/"): buffer.append(UInt8(ascii: "/"))
            case UInt8(ascii: "b"): buffer.append(0x08)
            case UInt8(ascii: "f"): buffer.append(0x0C)
            case UInt8(ascii: "n"): buffer.append(0x0A)
            case UInt8(ascii: "r"): buffer.append(0x0D)
            case UInt8(ascii: "t"): buffer.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try parseHex4()
                if scalar >= 0xD800, scalar < 0xDC00 {
                    // A high surrogate must be followed by an escaped low surrogate.
                    if end - index >= 6, byte(at: index) == UInt8(ascii: "\\"), byte(at: index + 1) == UInt8(ascii: "u") {
                        index += 2
                        let low = try parseHex4()
                        if low >= 0xDC00, low < 0xE000 {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            appendUTF8(0xFFFD, to: &buffer)
                            scalar = low
                        }
                    } else {
                        scalar = 0xFFFD
                    }
                } else if scalar >= 0xDC00, scalar < 0xE000 {
                    scalar = 0xFFFD
                }
                appendUTF8(scalar, to: &buffer)
            default:
                throw JSONParseError(offset: index - 1, reason: "invalid escape in a string")
            }
        }
        throw JSONParseError(offset: start - 1, reason: "unterminated string")
    }

    private mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        guard end - index >= 4 else { throw JSONParseError(offset: index, reason: "invalid \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let digit = byte(at: index)
            let nibble: UInt8
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = digit - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = digit - UInt8(ascii: "A") + 10
            default: throw JSONParseError(offset: index, reason: "invalid \\u escape")
            }
            value = value << 4 | UInt32(nibble)
            index += 1
        }
        return value
    }

    private func appendUTF8(_ scalar: UInt32, to buffer: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            buffer.append(UInt8(scalar))
        case 0x80..<0x800:
            buffer.append(UInt8(0xC0 | (scalar >> 6)))
            buffer.append(UInt8(0x80 | (scalar & 0x3F)))
        case 0x800..<0x10000:
            buffer.append(UInt8(0xE0 | (scalar >> 12)))
            buffer.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            buffer.append(UInt8(0x80 | (scalar & 0x3F)))
        default:
            buffer.append(UInt8(0xF0 | (scalar >> 18)))
            buffer.append(UInt8(0x80 | ((scalar >> 12) & 0x3F)))
            buffer.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            buffer.append(UInt8(0x80 | (scalar & 0x3F)))
        }
    }
}
