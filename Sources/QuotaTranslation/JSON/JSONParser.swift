/// Why a byte sequence is not the JSON it should be.
struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Offset of the offending byte.
    var offset: Int
    var reason: String

    var description: String { "\(reason) at byte \(offset)" }
}

/// A strict JSON parser (RFC 8259: UTF-8, no trailing commas, no comments) over raw bytes.
///
/// The document is copied once into a ``JSONSource``; string values stay slices of it
/// (``JSONText``: validated, decoded only on demand), so parsing a long text or a base64 image
/// allocates nothing for it. Numbers keep their literal text; object keys become `String`s.
/// Nesting is bounded by `maxDepth` so hostile input cannot exhaust the stack.
struct JSONParser {
    private let source: JSONSource
    private let base: UnsafePointer<UInt8>
    private let end: Int
    private var index = 0
    private var depth = 0
    private let maxDepth: Int

    private init(source: JSONSource, base: UnsafePointer<UInt8>, count: Int, maxDepth: Int) {
        self.source = source
        self.base = base
        self.end = count
        self.maxDepth = maxDepth
    }

    /// Parses one JSON document (surrounding whitespace allowed, nothing else after it).
    static func parse(_ bytes: [UInt8], maxDepth: Int = 128) throws(JSONParseError) -> JSON {
        let source = JSONSource(bytes)
        let result: Result<JSON, JSONParseError> = source.bytes.withUnsafeBufferPointer { buffer in
            // An empty array may have no storage; parse a static empty buffer instead.
            guard let base = buffer.baseAddress else {
                return .failure(JSONParseError(offset: 0, reason: "unexpected end of JSON"))
            }
            var parser = JSONParser(source: source, base: base, count: buffer.count, maxDepth: maxDepth)
            do throws(JSONParseError) {
                return .success(try parser.parseDocument())
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    static func parse(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = 128) throws(JSONParseError) -> JSON {
        try parse(Array(bytes), maxDepth: maxDepth)
    }

    static func parse(_ text: String, maxDepth: Int = 128) throws(JSONParseError) -> JSON {
        try parse(Array(text.utf8), maxDepth: maxDepth)
    }

    private mutating func parseDocument() throws(JSONParseError) -> JSON {
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        guard index == end else {
            throw JSONParseError(offset: index, reason: "unexpected data after the JSON value")
        }
        return value
    }

    @inline(__always)
    private func byte(at position: Int) -> UInt8 {
        base[position]
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
        case UInt8(ascii: "\""):
            let (start, count, escaped) = try scanString()
            return .string(JSONText(source: source, start: start, count: count, escaped: escaped))
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
        skipWhitespace()
        if index < end, byte(at: index) == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return .object(JSONObject())
        }
        var fields: [JSONField] = []
        fields.reserveCapacity(6)
        while true {
            skipWhitespace()
            guard index < end, byte(at: index) == UInt8(ascii: "\"") else {
                throw JSONParseError(offset: index, reason: "expected a string key")
            }
            let (start, count, escaped) = try scanString()
            let slice = UnsafeBufferPointer(start: base + start, count: count)
            let key = escaped ? JSONEscapes.unescape(slice) : String(decoding: slice, as: UTF8.self)
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
        skipWhitespace()
        if index < end, byte(at: index) == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return .array([])
        }
        var elements: [JSON] = []
        elements.reserveCapacity(4)
        while true {
            skipWhitespace()
            let element = try parseValue()
            elements.append(element)
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
        return String(decoding: UnsafeBufferPointer(start: base + start, count: index - start), as: UTF8.self)
    }

    @inline(__always)
    private func isDigit(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "0") < 10
    }

    /// Validates a string starting at its opening quote and returns where its content is (without
    /// quotes) and whether it has escapes; `index` ends after the closing quote.
    private mutating func scanString() throws(JSONParseError) -> (start: Int, count: Int, escaped: Bool) {
        let quote = index
        index += 1
        let start = index
        var escaped = false
        while true {
            skipPlainBytes()
            guard index < end else { throw JSONParseError(offset: quote, reason: "unterminated string") }
            let current = byte(at: index)
            if current == UInt8(ascii: "\"") {
                let count = index - start
                index += 1
                return (start, count, escaped)
            }
            if current == UInt8(ascii: "\\") {
                escaped = true
                try scanEscape()
            } else if current < 0x20 {
                throw JSONParseError(offset: index, reason: "control character in a string")
            } else {
                try scanMultiByteCharacter()
            }
        }
    }

    /// Skips bytes that need no attention: 8 at a time while none is a quote, a backslash, a
    /// control character or non-ASCII (SWAR: the "has a zero / has a byte below n" bit tricks,
    /// whose false alarms only ever follow a real hit), then one at a time.
    @inline(__always)
    private mutating func skipPlainBytes() {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        while index + 8 <= end {
            let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
            let quote = word ^ (ones &* 0x22)
            let backslash = word ^ (ones &* 0x5C)
            let found = ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((word &- ones &* 0x20) & ~word) | word
            if found & high != 0 { break }
            index += 8
        }
        while index < end {
            let current = byte(at: index)
            if current < 0x20 || current >= 0x80 || current == UInt8(ascii: "\"") || current == UInt8(ascii: "\\") { return }
            index += 1
        }
    }

    /// Validates one escape sequence at `index` (a backslash) and skips it.
    private mutating func scanEscape() throws(JSONParseError) {
        guard index + 1 < end else { throw JSONParseError(offset: index, reason: "unterminated string") }
        switch byte(at: index + 1) {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            index += 2
        case UInt8(ascii: "u"):
            guard index + 6 <= end else { throw JSONParseError(offset: index, reason: "invalid \\u escape") }
            for offset in 2..<6 {
                let digit = byte(at: index + offset)
                let isHex = isDigit(digit) || (digit | 0x20 >= UInt8(ascii: "a") && digit | 0x20 <= UInt8(ascii: "f"))
                if !isHex { throw JSONParseError(offset: index + offset, reason: "invalid \\u escape") }
            }
            index += 6
        default:
            throw JSONParseError(offset: index + 1, reason: "invalid escape in a string")
        }
    }

    /// Validates one UTF-8 encoded character of 2 to 4 bytes at `index` and skips it (RFC 3629:
    /// no overlong forms, no surrogates, nothing above U+10FFFF).
    private mutating func scanMultiByteCharacter() throws(JSONParseError) {
        let lead = byte(at: index)
        let length: Int
        var lower: UInt8 = 0x80
        var upper: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; lower = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; upper = 0x9F
        case 0xF0: length = 4; lower = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; upper = 0x8F
        default: throw JSONParseError(offset: index, reason: "invalid UTF-8")
        }
        guard index + length <= end else { throw JSONParseError(offset: index, reason: "invalid UTF-8") }
        let second = byte(at: index + 1)
        guard second >= lower, second <= upper else { throw JSONParseError(offset: index + 1, reason: "invalid UTF-8") }
        for offset in 2..<length where byte(at: index + offset) & 0xC0 != 0x80 {
            throw JSONParseError(offset: index + offset, reason: "invalid UTF-8")
        }
        index += length
    }
}
