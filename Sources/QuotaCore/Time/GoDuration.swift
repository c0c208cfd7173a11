import Foundation

/// Parses durations in the format of Go's `time.ParseDuration`, which OpenAI-style upstreams use in
/// `x-ratelimit-reset-*` headers: `1s`, `6m0s`, `59m59.5s`, `1h2m3s`, `20ms`, `1.5us`.
///
/// A bare non-negative number (`"30"`, `"1.5"`) is read as seconds, as some upstreams send that.
public enum GoDuration {
    /// Durations longer than this are treated as garbage (about 31 years).
    public static let maximumSeconds: TimeInterval = 1_000_000_000

    /// The duration in seconds, or `nil` for empty, negative, non-finite or malformed text.
    public static func parse(_ text: some StringProtocol) -> TimeInterval? {
        if let result = text.utf8.withContiguousStorageIfAvailable({ parse(bytes: $0) }) {
            return result
        }
        return Array(text.utf8).withUnsafeBufferPointer { parse(bytes: $0) }
    }

    static func parse(bytes: UnsafeBufferPointer<UInt8>) -> TimeInterval? {
        var start = 0
        var end = bytes.count
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        guard start < end else { return nil }
        if bytes[start] == 0x2B { start += 1 }  // a leading "+" is allowed by Go
        guard start < end else { return nil }

        // Bare number: seconds.
        if let bare = parseNumber(bytes, start, end), bare.next == end {
            return bare.value <= maximumSeconds ? bare.value : nil
        }

        var total: TimeInterval = 0
        var position = start
        while position < end {
            guard let number = parseNumber(bytes, position, end) else { return nil }
            position = number.next
            guard let unit = parseUnit(bytes, position, end) else { return nil }
            position = unit.next
            total += number.value * unit.seconds
        }
        guard total.isFinite, total <= maximumSeconds else { return nil }
        return total
    }

    /// A non-negative decimal number `digits[.digits]` (at least one digit in all).
    private static func parseNumber(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> (value: Double, next: Int)? {
        var position = start
        var integer: Double = 0
        var digits = 0
        while position < end, let digit = digitValue(bytes[position]) {
            integer = integer * 10 + Double(digit)
            digits += 1
            position += 1
        }
        var fraction: Double = 0
        if position < end, bytes[position] == 0x2E {
            position += 1
            var scale = 0.1
            while position < end, let digit = digitValue(bytes[position]) {
                fraction += Double(digit) * scale
                scale /= 10
                digits += 1
                position += 1
            }
        }
        guard digits > 0 else { return nil }
        let value = integer + fraction
        return value.isFinite ? (value, position) : nil
    }

    private static func parseUnit(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> (seconds: Double, next: Int)? {
        guard start < end else { return nil }
        func next(_ offset: Int) -> UInt8? { start + offset < end ? bytes[start + offset] : nil }
        switch bytes[start] {
        case 0x68:  // h
            return (3600, start + 1)
        case 0x73:  // s
            return (1, start + 1)
        case 0x6D:  // m or ms
            return next(1) == 0x73 ? (0.001, start + 2) : (60, start + 1)
        case 0x6E:  // ns
            return next(1) == 0x73 ? (0.000_000_001, start + 2) : nil
        case 0x75:  // us
            return next(1) == 0x73 ? (0.000_001, start + 2) : nil
        case 0xC2 where next(1) == 0xB5 && next(2) == 0x73:  // µs (U+00B5)
            return (0.000_001, start + 3)
        case 0xCE where next(1) == 0xBC && next(2) == 0x73:  // μs (U+03BC)
            return (0.000_001, start + 3)
        default:
            return nil
        }
    }

    private static func digitValue(_ byte: UInt8) -> Int? {
        byte >= 0x30 && byte <= 0x39 ? Int(byte - 0x30) : nil
    }
}
