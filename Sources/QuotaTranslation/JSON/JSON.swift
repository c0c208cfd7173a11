/// A JSON value that keeps what a pass-through needs: the order of object keys and the exact text of
/// numbers.
///
/// `QuotaCore.JSONValue` stores numbers as `Double` and objects as dictionaries; translation instead
/// carries tool arguments, JSON Schemas and unknown-but-harmless values from one dialect to another,
/// so a value written back out must read like the one that came in (`1.10` stays `1.10`, a 64-bit id
/// stays exact, `{"b":1,"a":2}` keeps its order, which also keeps upstream prompt caches stable).
enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    /// A number, as its literal text (already validated against the JSON grammar).
    case number(String)
    /// A string, decoded lazily (see ``JSONText``).
    case string(JSONText)
    case array([JSON])
    case object(JSONObject)

    /// A string value from a Swift string.
    static func string(_ value: String) -> JSON {
        .string(JSONText(value))
    }

    /// The kind of value, as an error message names it ("a string", "an object").
    var kindDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// The string's characters (decoded).
    var stringValue: String? {
        if case .string(let value) = self { return value.string }
        return nil
    }

    /// The string as it is, not decoded (for texts that are passed on).
    var textValue: JSONText? {
        if case .string(let value) = self { return value }
        return nil
    }

    var objectValue: JSONObject? {
        if case .object(let value) = self { return value }
        return nil
    }

    var arrayValue: [JSON]? {
        if case .array(let value) = self { return value }
        return nil
    }

    var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The number's text, when the value is a number.
    var numberText: String? {
        if case .number(let text) = self { return text }
        return nil
    }

    /// The number as an integer, when it is one exactly (`3`, `3.0`, `3e2`; not `3.5`). Decided on
    /// the digits, without floating point.
    var intValue: Int? {
        guard case .number(let text) = self else { return nil }
        if let value = Int(text) { return value }
        var negative = false
        var digits: [UInt8] = []
        var fractionDigits = 0
        var exponent = 0
        var exponentSign = 1
        var part = 0  // 0 integer, 1 fraction, 2 exponent
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "-") where part == 0 && digits.isEmpty: negative = true
            case UInt8(ascii: "-") where part == 2: exponentSign = -1
            case UInt8(ascii: "+"): continue
            case UInt8(ascii: "."): part = 1
            case UInt8(ascii: "e"), UInt8(ascii: "E"): part = 2
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if part == 2 {
                    exponent = exponent * 10 + Int(byte - UInt8(ascii: "0"))
                    if exponent > 400 { return nil }
                } else {
                    digits.append(byte - UInt8(ascii: "0"))
                    if part == 1 { fractionDigits += 1 }
                }
            default: return nil
            }
        }
        var scale = exponentSign * exponent - fractionDigits
        while scale < 0, digits.last == 0 {
            digits.removeLast()
            scale += 1
        }
        while digits.first == 0, digits.count > 1 { digits.removeFirst() }
        if digits.allSatisfy({ $0 == 0 }) { return 0 }
        guard scale >= 0, digits.count + scale <= 18 else { return nil }
        var value = 0
        for digit in digits { value = value * 10 + Int(digit) }
        for _ in 0..<scale { value *= 10 }
        return negative ? -value : value
    }

    var doubleValue: Double? {
        guard case .number(let text) = self else { return nil }
        return Double(text)
    }

    subscript(key: String) -> JSON? {
        objectValue?[key]
    }

    /// The value written out as compact JSON.
    var serialized: String {
        String(decoding: serializedBytes, as: UTF8.self)
    }

    /// The value written out as compact JSON bytes.
    var serializedBytes: [UInt8] {
        var writer = JSONWriter()
        writer.value(self)
        return writer.bytes
    }
}

/// One member of a JSON object.
struct JSONField: Sendable, Equatable {
    var key: String
    var value: JSON
}

/// A JSON object with its members in document order.
///
/// Lookups scan linearly: request objects have a handful of keys, where a scan beats hashing.
struct JSONObject: Sendable, Equatable {
    var fields: [JSONField]

    init(_ fields: [JSONField] = []) {
        self.fields = fields
    }

    var isEmpty: Bool { fields.isEmpty }

    var count: Int { fields.count }

    subscript(key: String) -> JSON? {
        get {
            for field in fields where field.key == key { return field.value }
            return nil
        }
        set {
            if let index = fields.firstIndex(where: { $0.key == key }) {
                if let newValue {
                    fields[index].value = newValue
                } else {
                    fields.remove(at: index)
                }
            } else if let newValue {
                fields.append(JSONField(key: key, value: newValue))
            }
        }
    }

    /// Removes a member and returns its value.
    @discardableResult
    mutating func removeValue(forKey key: String) -> JSON? {
        guard let index = fields.firstIndex(where: { $0.key == key }) else { return nil }
        return fields.remove(at: index).value
    }
}
