extension RequestRecord {
    /// The record as one compact JSON object, the form stored in the log files and exported by
    /// `--export jsonl` (keys in the order of the schema, absent optionals left out, no newline).
    public func jsonLine() -> String {
        var bytes: [UInt8] = []
        appendJSON(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the record as one compact JSON object to `bytes` (no newline).
    ///
    /// Hand-written rather than `JSONEncoder`: the proxy encodes every request it serves, and this
    /// costs a fraction of a generic encoder. Durations are kept to the microsecond (3 decimals of
    /// milliseconds); a non-finite duration is written as 0 so the line always parses.
    public func appendJSON(to bytes: inout [UInt8]) {
        // Move the buffer into the builder (so appending does not copy it) and back at the end.
        var json = JSONLineBuilder(bytes: bytes)
        bytes = []
        json.open()
        json.key("id")
        json.string(id)
        json.key("time")
        json.raw(0x22)
        RequestLogTime.append(time, to: &json.bytes)
        json.raw(0x22)
        json.key("kind")
        json.string(kind.rawValue)
        if let clientKey { json.key("client_key"); json.string(clientKey) }
        json.key("client_protocol")
        json.string(wireProtocol)
        if let upstreamProtocol { json.key("upstream_protocol"); json.string(upstreamProtocol) }
        json.key("route")
        json.string(route)
        if let model { json.key("model"); json.string(model) }
        if let mappedModel { json.key("mapped_model"); json.string(mappedModel) }
        if let group { json.key("group"); json.string(group) }
        if let account { json.key("account"); json.string(account) }
        json.key("attempts")
        json.raw(0x5B)
        for (index, attempt) in attempts.enumerated() {
            if index > 0 { json.raw(0x2C) }
            json.open()
            json.key("account")
            json.string(attempt.account)
            json.key("outcome")
            json.string(attempt.outcome)
            if let status = attempt.status { json.key("status"); json.integer(status) }
            json.key("duration_ms")
            json.milliseconds(attempt.durationMs)
            json.close()
        }
        json.raw(0x5D)
        json.key("status")
        json.integer(status)
        json.key("duration_ms")
        json.milliseconds(durationMs)
        if let ttfbMs { json.key("ttfb_ms"); json.milliseconds(ttfbMs) }
        json.key("stream")
        json.literal(stream ? "true" : "false")
        if let inputTokens { json.key("input_tokens"); json.integer(inputTokens) }
        if let outputTokens { json.key("output_tokens"); json.integer(outputTokens) }
        if let error { json.key("error"); json.string(error) }
        if let requestBody { json.key("request_body"); json.string(requestBody) }
        if let responseBody { json.key("response_body"); json.string(responseBody) }
        json.close()
        bytes = json.bytes
    }
}

/// Writes compact JSON into a byte buffer: just enough for ``RequestRecord``'s lines.
struct JSONLineBuilder {
    var bytes: [UInt8]
    /// Whether the next key is the first of its object (no comma before it).
    private var first = true

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    mutating func raw(_ byte: UInt8) {
        bytes.append(byte)
    }

    mutating func literal(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func open() {
        bytes.append(0x7B)
        first = true
    }

    mutating func close() {
        bytes.append(0x7D)
        first = false
    }

    mutating func key(_ name: StaticString) {
        if !first { bytes.append(0x2C) }
        first = false
        bytes.append(0x22)
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(0x22)
        bytes.append(0x3A)
    }

    /// A decimal integer, written digit by digit (no `String` in between).
    mutating func integer(_ value: Int) {
        guard value != Int.min else {
            bytes.append(contentsOf: String(value).utf8)
            return
        }
        if value < 0 { bytes.append(0x2D) }
        appendDigits(UInt64(value.magnitude), minimumWidth: 1)
    }

    /// `value` in decimal, zero-padded on the left to `minimumWidth` digits.
    private mutating func appendDigits(_ value: UInt64, minimumWidth: Int) {
        var digits: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                     UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[count] = UInt8(truncatingIfNeeded: rest % 10) + 0x30
                rest /= 10
                count += 1
            } while rest > 0
            while count < minimumWidth {
                buffer[count] = 0x30
                count += 1
            }
            for index in stride(from: count - 1, through: 0, by: -1) {
                bytes.append(buffer[index])
            }
        }
    }

    /// A duration in milliseconds, rounded to 3 decimals (`12.5`, `310.0`, `0.001`): the integer
    /// part, a point, then the thousandths without trailing zeros (at least one digit).
    mutating func milliseconds(_ value: Double) {
        guard value.isFinite else {
            bytes.append(0x30)
            return
        }
        let thousandths = (value * 1000).rounded()
        guard thousandths.magnitude < 1e15 else {
            bytes.append(contentsOf: (thousandths / 1000).description.utf8)
            return
        }
        let total = Int64(thousandths)
        if total < 0 { bytes.append(0x2D) }
        let magnitude = UInt64(total.magnitude)
        appendDigits(magnitude / 1000, minimumWidth: 1)
        bytes.append(0x2E)
        var fraction = magnitude % 1000
        var width = 3
        while width > 1 && fraction % 10 == 0 {
            fraction /= 10
            width -= 1
        }
        appendDigits(fraction, minimumWidth: width)
    }

    /// A JSON string with the escapes RFC 8259 requires (quote, backslash, control characters).
    /// Text that needs none (the usual case: ids, model and account names) is copied in one go.
    mutating func string(_ text: String) {
        bytes.append(0x22)
        var needsEscaping = false
        for byte in text.utf8 where byte < 0x20 || byte == 0x22 || byte == 0x5C {
            needsEscaping = true
            break
        }
        guard needsEscaping else {
            bytes.append(contentsOf: text.utf8)
            bytes.append(0x22)
            return
        }
        for byte in text.utf8 {
            switch byte {
            case 0x22: bytes.append(0x5C); bytes.append(0x22)
            case 0x5C: bytes.append(0x5C); bytes.append(0x5C)
            case 0x0A: bytes.append(0x5C); bytes.append(0x6E)
            case 0x0D: bytes.append(0x5C); bytes.append(0x72)
            case 0x09: bytes.append(0x5C); bytes.append(0x74)
            case 0x00..<0x20:
                bytes.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, Self.hexDigit(byte >> 4), Self.hexDigit(byte & 0x0F)])
            default: bytes.append(byte)
            }
        }
        bytes.append(0x22)
    }

    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? 0x30 + value : 0x61 + value - 10
    }
}
