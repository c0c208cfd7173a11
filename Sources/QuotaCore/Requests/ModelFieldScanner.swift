/// Finds the top-level `"model"` string of a JSON request body without decoding the body.
///
/// The proxy needs only the model name to route a request (and its byte range, to rewrite it when
/// an alias maps it), so it walks the top-level object once, skipping nested values by bracket
/// matching; this costs a few hundred nanoseconds where a full decode of a long chat would cost
/// tens of microseconds. It also rejects bodies that are not a JSON object, and model names over
/// ``maximumModelBytes`` (a model name becomes a metrics label, a log field and part of error
/// messages, so its size must be bounded).
public enum ModelFieldScanner {
    /// The longest model name accepted, in UTF-8 bytes.
    public static let maximumModelBytes = 256

    public struct Match: Sendable, Equatable {
        /// The decoded model name.
        public var model: String
        /// Byte offsets of the value including its quotes, for rewriting.
        public var valueRange: Range<Int>
    }

    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case notAnObject
        case malformed(offset: Int)
        case missingModel
        case modelNotAString
        /// The model name is longer than ``ModelFieldScanner/maximumModelBytes`` (its size as sent,
        /// escapes included, when that alone is far over the limit).
        case modelTooLong(bytes: Int)

        public var description: String {
            switch self {
            case .notAnObject: "the request body must be a JSON object"
            case .malformed(let offset): "the request body is not valid JSON (near byte \(offset))"
            case .missingModel: "the request body has no \"model\" field"
            case .modelNotAString: "\"model\" must be a string"
            case .modelTooLong(let bytes):
                "\"model\" is \(bytes) bytes long; model names are limited to \(ModelFieldScanner.maximumModelBytes) bytes"
            }
        }
    }

    /// Scans `bytes` for the top-level `model` field.
    public static func scan(_ bytes: UnsafeRawBufferPointer) -> Result<Match, Failure> {
        var scanner = Scanner(bytes: bytes)
        return scanner.run()
    }

    /// Convenience for arrays (tests, small bodies).
    public static func scan(_ bytes: [UInt8]) -> Result<Match, Failure> {
        bytes.withUnsafeBytes { scan($0) }
    }

    private struct Scanner {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        init(bytes: UnsafeRawBufferPointer) {
            self.bytes = bytes
        }

        mutating func run() -> Result<Match, Failure> {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else { return .failure(.notAnObject) }
            index += 1
            var found: Match?
            var modelNotString = false
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                return .failure(.missingModel)
            }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return .failure(.malformed(offset: index)) }
                let keyStart = index
                guard skipString() else { return .failure(.malformed(offset: index)) }
                let isModelKey = isLiteral("\"model\"", from: keyStart, to: index)
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return .failure(.malformed(offset: index)) }
                index += 1
                skipWhitespace()
                guard index < bytes.count else { return .failure(.malformed(offset: index)) }
                let valueStart = index
                if bytes[index] == UInt8(ascii: "\"") {
                    guard skipString() else { return .failure(.malformed(offset: index)) }
                    if isModelKey && found == nil {
                        // An escape takes at most 6 bytes per byte it stands for: far over the
                        // limit as sent is over it decoded, without decoding megabytes.
                        let sent = index - valueStart - 2
                        if sent > ModelFieldScanner.maximumModelBytes * 6 {
                            return .failure(.modelTooLong(bytes: sent))
                        }
                        guard let model = decodeString(from: valueStart, to: index) else {
                            return .failure(.malformed(offset: valueStart))
                        }
                        if model.utf8.count > ModelFieldScanner.maximumModelBytes {
                            return .failure(.modelTooLong(bytes: model.utf8.count))
                        }
                        found = Match(model: model, valueRange: valueStart..<index)
                    }
                } else {
                    guard skipValue() else { return .failure(.malformed(offset: index)) }
                    if isModelKey { modelNotString = true }
                }
                skipWhitespace()
                guard index < bytes.count else { return .failure(.malformed(offset: index)) }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                guard bytes[index] == UInt8(ascii: "}") else { return .failure(.malformed(offset: index)) }
                index += 1
                break
            }
            skipWhitespace()
            guard index == bytes.count else { return .failure(.malformed(offset: index)) }
            if let found { return .success(found) }
            return .failure(modelNotString ? .modelNotAString : .missingModel)
        }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }

        /// At an opening quote: moves past the closing quote. `false` on an unterminated string.
        mutating func skipString() -> Bool {
            index += 1
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\\") {
                    index += 2
                    continue
                }
                index += 1
                if byte == UInt8(ascii: "\"") { return true }
                if byte < 0x20 { return false }
            }
            return false
        }

        /// Skips a number, literal, array or object (strings inside are honoured).
        mutating func skipValue() -> Bool {
            let first = bytes[index]
            if first == UInt8(ascii: "{") || first == UInt8(ascii: "[") {
                var depth = 0
                while index < bytes.count {
                    let byte = bytes[index]
                    switch byte {
                    case UInt8(ascii: "\""):
                        guard skipString() else { return false }
                        continue
                    case UInt8(ascii: "{"), UInt8(ascii: "["):
                        depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"):
                        depth -= 1
                        if depth == 0 {
                            index += 1
                            return true
                        }
                    default:
                        break
                    }
                    index += 1
                }
                return false
            }
            let start = index
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: ","), UInt8(ascii: "}"), 0x20, 0x09, 0x0A, 0x0D: return index > start
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"),
                    UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "E"):
                    index += 1
                default: return false
                }
            }
            return false
        }

        func isLiteral(_ literal: StaticString, from start: Int, to end: Int) -> Bool {
            guard end - start == literal.utf8CodeUnitCount else { return false }
            return literal.withUTF8Buffer { literalBytes in
                for offset in 0..<literalBytes.count where bytes[start + offset] != literalBytes[offset] {
                    return false
                }
                return true
            }
        }

        /// Decodes the JSON string between `start` (opening quote) and `end` (after closing quote).
        func decodeString(from start: Int, to end: Int) -> String? {
            let inner = UnsafeRawBufferPointer(rebasing: bytes[(start + 1)..<(end - 1)])
            if !inner.contains(UInt8(ascii: "\\")) {
                return String(validating: inner, as: UTF8.self)
            }
            var output: [UInt8] = []
            var position = 0
            while position < inner.count {
                let byte = inner[position]
                guard byte == UInt8(ascii: "\\") else {
                    output.append(byte)
                    position += 1
                    continue
                }
                guard position + 1 < inner.count else { return nil }
                let escaped = inner[position + 1]
                position += 2
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): output.append(escaped)
                case UInt8(ascii: "n"): output.append(0x0A)
                case UInt8(ascii: "t"): output.append(0x09)
                case UInt8(ascii: "r"): output.append(0x0D)
                case UInt8(ascii: "b"): output.append(0x08)
                case UInt8(ascii: "f"): output.append(0x0C)
                case UInt8(ascii: "u"):
                    guard position + 4 <= inner.count,
                        let code = UInt32(String(decoding: UnsafeRawBufferPointer(rebasing: inner[position..<(position + 4)]), as: UTF8.self), radix: 16),
                        let scalar = Unicode.Scalar(code)
                    else { return nil }
                    output.append(contentsOf: Array(String(Character(scalar)).utf8))
                    position += 4
                default: return nil
                }
            }
            return String(validating: output, as: UTF8.self)
        }
    }
}
