/// Writes compact JSON straight into a byte array, without an intermediate tree.
///
/// Commas are placed automatically: ``key(_:)-swift.method`` and every value write one when the
/// previous sibling needs it. Keys given as `StaticString` are written as they are (they are the
/// translators' own ASCII field names and need no escaping).
struct JSONWriter {
    var bytes: [UInt8]
    private var needsComma = false

    init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    @inline(__always)
    private mutating func separator() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    mutating func beginObject() {
        separator()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    mutating func beginArray() {
        separator()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// Writes `"key":` for one of the translators' own field names.
    mutating func key(_ key: StaticString) {
        separator()
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    /// Writes `"key":` for a key taken from input (escaped).
    mutating func key(_ key: String) {
        separator()
        appendQuoted(key)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    mutating func string(_ value: String) {
        separator()
        appendQuoted(value)
        needsComma = true
    }

    /// Writes a text; one still in its parsed form is copied as it is.
    mutating func string(_ value: JSONText) {
        separator()
        value.write(into: &bytes)
        needsComma = true
    }

    /// Writes a string given as a literal (no escaping needed).
    mutating func string(literal value: StaticString) {
        separator()
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(start: value.utf8Start, count: value.utf8CodeUnitCount))
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    mutating func int(_ value: Int) {
        separator()
        appendDecimal(value)
        needsComma = true
    }

    /// Writes a number given as already-validated JSON number text.
    mutating func number(_ text: String) {
        separator()
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
        needsComma = true
    }

    mutating func bool(_ value: Bool) {
        separator()
        if value {
            appendLiteral("true")
        } else {
            appendLiteral("false")
        }
        needsComma = true
    }

    mutating func null() {
        separator()
        appendLiteral("null")
        needsComma = true
    }

    /// Writes bytes that already are one complete JSON value.
    mutating func raw(_ json: [UInt8]) {
        separator()
        bytes.append(contentsOf: json)
        needsComma = true
    }

    /// Writes a parsed value back out (key order and number text as they came in).
    mutating func value(_ value: JSON) {
        switch value {
        case .null: null()
        case .bool(let flag): bool(flag)
        case .number(let text): number(text)
        case .string(let text): string(text)
        case .array(let elements):
            beginArray()
            for element in elements { self.value(element) }
            endArray()
        case .object(let object):
            beginObject()
            for field in object.fields {
                key(field.key)
                self.value(field.value)
            }
            endObject()
        }
    }

    // MARK: Convenience

    mutating func field(_ name: StaticString, _ value: String) {
        key(name)
        string(value)
    }

    /// Writes `"data:<media type>;base64,<data>"` without decoding the data.
    mutating func dataURL(mediaType: String, data: JSONText) {
        separator()
        bytes.append(contentsOf: "\"data:".utf8)
        var quoted: [UInt8] = []
        JSONEscapes.appendQuoted(mediaType, to: &quoted)
        bytes.append(contentsOf: quoted[1..<(quoted.count - 1)])
        bytes.append(contentsOf: ";base64,".utf8)
        data.writeContent(into: &bytes)
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    mutating func field(_ name: StaticString, _ value: JSONText) {
        key(name)
        string(value)
    }

    mutating func fieldIfPresent(_ name: StaticString, _ value: JSONText?) {
        if let value { field(name, value) }
    }

    mutating func field(_ name: StaticString, _ value: Int) {
        key(name)
        int(value)
    }

    mutating func field(_ name: StaticString, _ value: Bool) {
        key(name)
        bool(value)
    }

    mutating func field(_ name: StaticString, json value: JSON) {
        key(name)
        self.value(value)
    }

    mutating func fieldIfPresent(_ name: StaticString, _ value: String?) {
        if let value { field(name, value) }
    }

    mutating func fieldIfPresent(_ name: StaticString, _ value: Int?) {
        if let value { field(name, value) }
    }

    mutating func numberFieldIfPresent(_ name: StaticString, _ text: String?) {
        if let text {
            key(name)
            number(text)
        }
    }

    // MARK: Encoding

    private mutating func appendDecimal(_ value: Int) {
        if value == 0 {
            bytes.append(UInt8(ascii: "0"))
            return
        }
        var magnitude = value.magnitude
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            while magnitude > 0 {
                buffer[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            }
            for offset in stride(from: count - 1, through: 0, by: -1) {
                bytes.append(buffer[offset])
            }
        }
    }

    @inline(__always)
    private mutating func appendLiteral(_ literal: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    private mutating func appendQuoted(_ text: String) {
        JSONEscapes.appendQuoted(text, to: &bytes)
    }
}
