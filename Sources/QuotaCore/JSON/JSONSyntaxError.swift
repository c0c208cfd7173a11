/// Where a JSON document stops being valid, as an editor shows it: line and column (both from 1;
/// the column counts characters, not bytes) and what was expected there.
///
/// Foundation's decoders say only that the data is not valid JSON; ``find(in:)`` scans the bytes
/// once more (only after a decoder failed) so the operator learns where to look.
public struct JSONSyntaxError: Sendable, Equatable, CustomStringConvertible {
    /// The byte offset of the fault.
    public var offset: Int
    public var line: Int
    public var column: Int
    public var message: String

    public var description: String { "line \(line), column \(column): \(message)" }

    /// The deepest nesting scanned; deeper documents are reported, never recursed into.
    public static let maximumDepth = 512

    /// The first fault of `bytes` as strict JSON (RFC 8259), or `nil` when it is valid.
    public static func find(in bytes: [UInt8]) -> JSONSyntaxError? {
        var scanner = Scanner(bytes: bytes)
        guard let fault = scanner.document() else { return nil }
        return position(of: fault.offset, in: bytes, message: fault.message)
    }

    /// Line and column of a byte offset: lines end at `\n`; UTF-8 continuation bytes do not count.
    static func position(of offset: Int, in bytes: [UInt8], message: String) -> JSONSyntaxError {
        var line = 1
        var column = 1
        for byte in bytes[..<min(offset, bytes.count)] {
            if byte == 0x0A {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return JSONSyntaxError(offset: offset, line: line, column: column, message: message)
    }
}

/// A recursive-descent check of RFC 8259 syntax that stops at the first fault.
private struct Scanner {
    struct Fault {
        var offset: Int
        var message: String
    }

    let bytes: [UInt8]
    var index = 0

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    mutating func document() -> Fault? {
        skipWhitespace()
        if let fault = value(depth: 0) { return fault }
        skipWhitespace()
        if index < bytes.count { return Fault(offset: index, message: "unexpected text after the end of the JSON value") }
        return nil
    }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    private func unexpected(_ expected: String) -> Fault {
        guard let byte = current else { return Fault(offset: index, message: "the file ends where \(expected) was expected") }
        return Fault(offset: index, message: "expected \(expected), found \(Self.name(of: byte))")
    }

    /// `'x'` for a visible ASCII character, else a word or the byte in hex.
    private static func name(of byte: UInt8) -> String {
        switch byte {
        case 0x21...0x7E: "'\(Character(Unicode.Scalar(byte)))'"
        case 0x20: "a space"
        case 0x0A, 0x0D: "a line break"
        case 0x09: "a tab"
        default: "byte 0x" + String(byte, radix: 16)
        }
    }

    private mutating func value(depth: Int) -> Fault? {
        guard let byte = current else { return unexpected("a value") }
        switch byte {
        case UInt8(ascii: "{"): return object(depth: depth + 1)
        case UInt8(ascii: "["): return array(depth: depth + 1)
        case UInt8(ascii: "\""): return string()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return number()
        case UInt8(ascii: "t"): return literal("true")
        case UInt8(ascii: "f"): return literal("false")
        case UInt8(ascii: "n"): return literal("null")
        default: return unexpected("a value (a string, number, object, list, true, false or null)")
        }
    }

    private mutating func object(depth: Int) -> Fault? {
        if depth > JSONSyntaxError.maximumDepth { return Fault(offset: index, message: "nested deeper than \(JSONSyntaxError.maximumDepth) levels") }
        index += 1
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            index += 1
            return nil
        }
        while true {
            guard current == UInt8(ascii: "\"") else { return unexpected("a key in double quotes") }
            if let fault = string() { return fault }
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { return unexpected("':' after the key") }
            index += 1
            skipWhitespace()
            if let fault = value(depth: depth) { return fault }
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","):
                index += 1
                skipWhitespace()
                if current == UInt8(ascii: "}") { return Fault(offset: index, message: "a comma before '}' (remove the last comma)") }
            case UInt8(ascii: "}"):
                index += 1
                return nil
            default:
                return unexpected("',' or '}'")
            }
        }
    }

    private mutating func array(depth: Int) -> Fault? {
        if depth > JSONSyntaxError.maximumDepth { return Fault(offset: index, message: "nested deeper than \(JSONSyntaxError.maximumDepth) levels") }
        index += 1
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            index += 1
            return nil
        }
        while true {
            if let fault = value(depth: depth) { return fault }
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","):
                index += 1
                skipWhitespace()
                if current == UInt8(ascii: "]") { return Fault(offset: index, message: "a comma before ']' (remove the last comma)") }
            case UInt8(ascii: "]"):
                index += 1
                return nil
            default:
                return unexpected("',' or ']'")
            }
        }
    }

    private mutating func string() -> Fault? {
        let start = index
        index += 1
        while let byte = current {
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return nil
            case UInt8(ascii: "\\"):
                index += 1
                guard let escaped = current else { break }
                if escaped == UInt8(ascii: "u") {
                    for _ in 0..<4 {
                        index += 1
                        guard let hex = current, hex.isHexDigit else { return unexpected("four hex digits after \\u") }
                    }
                    index += 1
                } else if Array("\"\\/bfnrt".utf8).contains(escaped) {
                    index += 1
                } else {
                    return Fault(offset: index - 1, message: "an unknown escape in a string (use \\\\ for a backslash)")
                }
            case 0x00..<0x20:
                return Fault(offset: index, message: "a control character in a string (write it as \\n, \\t or \\u00XX)")
            default:
                index += 1
            }
        }
        return Fault(offset: start, message: "the string starting here is not closed with '\"'")
    }

    private mutating func number() -> Fault? {
        if current == UInt8(ascii: "-") { index += 1 }
        guard let first = current, first.isDigit else { return unexpected("a digit") }
        index += 1
        if first != UInt8(ascii: "0") {
            while current?.isDigit == true { index += 1 }
        }
        if current == UInt8(ascii: ".") {
            index += 1
            guard current?.isDigit == true else { return unexpected("a digit after '.'") }
            while current?.isDigit == true { index += 1 }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard current?.isDigit == true else { return unexpected("a digit in the exponent") }
            while current?.isDigit == true { index += 1 }
        }
        return nil
    }

    private mutating func literal(_ word: String) -> Fault? {
        let start = index
        for expected in word.utf8 {
            guard current == expected else {
                return Fault(offset: start, message: "expected a value (a string, number, object, list, true, false or null)")
            }
            index += 1
        }
        return nil
    }
}

extension UInt8 {
    fileprivate var isDigit: Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) }
    fileprivate var isHexDigit: Bool {
        isDigit || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(self)
    }
}
