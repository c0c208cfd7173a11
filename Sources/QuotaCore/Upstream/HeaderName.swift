/// ASCII case-insensitive header-name helpers over raw bytes: no allocation, no Foundation
/// (they run for every header of every proxied answer).
enum HeaderName {
    /// Whether `name` equals `lowercased` ignoring ASCII case; `lowercased` must be lowercase ASCII.
    static func equals(_ name: String, _ lowercased: StaticString) -> Bool {
        withBytes(name) { equals($0, lowercased) } ?? false
    }

    /// Runs `body` over the UTF-8 bytes of `text` (copying only for non-native strings).
    @inline(__always)
    static func withBytes<Result>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result? {
        if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
        return Array(text.utf8).withUnsafeBufferPointer(body)
    }

    /// Whether `bytes` equal `lowercased` ignoring ASCII case.
    static func equals(_ bytes: UnsafeBufferPointer<UInt8>, _ lowercased: StaticString) -> Bool {
        bytes.count == lowercased.utf8CodeUnitCount && matches(bytes, at: 0, lowercased)
    }

    /// Whether `bytes` start with `lowercased` ignoring ASCII case.
    static func hasPrefix(_ bytes: UnsafeBufferPointer<UInt8>, _ lowercased: StaticString) -> Bool {
        bytes.count >= lowercased.utf8CodeUnitCount && matches(bytes, at: 0, lowercased)
    }

    /// Whether `bytes[offset...]` continue with exactly `lowercased` and end there.
    static func suffixEquals(_ bytes: UnsafeBufferPointer<UInt8>, from offset: Int, _ lowercased: StaticString) -> Bool {
        bytes.count - offset == lowercased.utf8CodeUnitCount && matches(bytes, at: offset, lowercased)
    }

    @inline(__always)
    private static func matches(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int, _ lowercased: StaticString) -> Bool {
        let pattern = lowercased.utf8Start
        for index in 0..<lowercased.utf8CodeUnitCount where lower(bytes[offset + index]) != pattern[index] {
            return false
        }
        return true
    }

    /// Whether `bytes[range]` equal `lowercased` ignoring ASCII case.
    static func equals(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ lowercased: StaticString) -> Bool {
        range.count == lowercased.utf8CodeUnitCount && matches(bytes, at: range.lowerBound, lowercased)
    }

    /// `bytes` without leading and trailing spaces and tabs.
    static func trimmed(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        var start = 0
        var end = bytes.count
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        return UnsafeBufferPointer(rebasing: bytes[start..<end])
    }

    /// A plain non-negative or negative decimal (`123`, `-4`, `12.5`) without calling `strtod`;
    /// anything else (exponents, `inf`, `nan`, garbage) goes to `Double.init`, non-finite is `nil`.
    static func decimal(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        var position = 0
        let negative = bytes.first == 0x2D
        if negative || bytes.first == 0x2B { position = 1 }
        var integer: UInt64 = 0
        var digits = 0
        while position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39, digits < 18 {
            integer = integer * 10 + UInt64(bytes[position] - 0x30)
            digits += 1
            position += 1
        }
        var value = Double(integer)
        if position < bytes.count, bytes[position] == 0x2E, digits > 0 {
            position += 1
            var scale = 0.1
            while position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39 {
                value += Double(bytes[position] - 0x30) * scale
                scale /= 10
                position += 1
            }
        }
        if digits > 0 && position == bytes.count {
            return negative ? -value : value
        }
        guard let parsed = Double(String(decoding: bytes, as: UTF8.self)), parsed.isFinite else { return nil }
        return parsed
    }

    /// `text` without leading and trailing spaces and tabs (no Foundation, no copy).
    static func trimmed(_ text: String) -> Substring {
        let utf8 = text.utf8
        var start = utf8.startIndex
        var end = utf8.endIndex
        while start < end, utf8[start] == 0x20 || utf8[start] == 0x09 { start = utf8.index(after: start) }
        while end > start {
            let before = utf8.index(before: end)
            guard utf8[before] == 0x20 || utf8[before] == 0x09 else { break }
            end = before
        }
        return text[start..<end]
    }

    @inline(__always)
    static func lower(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }
}
