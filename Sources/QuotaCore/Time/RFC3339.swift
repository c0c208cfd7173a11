import Foundation

/// A fast parser for the RFC 3339 timestamps upstreams send in reset headers
/// (`2026-11-22T18:00:00Z`, `2026-11-22T18:00:00.123+02:00`). Anything it does not recognize goes
/// to ``Timestamp/parse(_:)``, which is exact but slow (it is called on every proxied answer).
enum RFC3339 {
    static func parse(_ text: Substring) -> Date? {
        var copy = text
        if let date = copy.withUTF8({ parse(bytes: $0) }) {
            return date
        }
        return Timestamp.parse(String(text))
    }

    /// `YYYY-MM-DD(T|t| )HH:MM:SS(.fraction)?(Z|z|±HH:MM)`, or `nil`.
    static func parse(bytes: UnsafeBufferPointer<UInt8>) -> Date? {
        let count = bytes.count
        guard count >= 20 else { return nil }
        func digits(_ start: Int, _ length: Int) -> Int? {
            var value = 0
            for offset in start..<(start + length) {
                let byte = bytes[offset]
                guard byte >= 0x30 && byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard let year = digits(0, 4), bytes[4] == 0x2D, let month = digits(5, 2), bytes[7] == 0x2D,
            let day = digits(8, 2), bytes[10] == 0x54 || bytes[10] == 0x74 || bytes[10] == 0x20,
            let hour = digits(11, 2), bytes[13] == 0x3A, let minute = digits(14, 2), bytes[16] == 0x3A,
            let second = digits(17, 2),
            (1...12).contains(month), day >= 1, day <= daysInMonth(month, year: year),
            hour <= 23, minute <= 59, second <= 60
        else { return nil }
        var position = 19
        var fraction = 0.0
        if bytes[position] == 0x2E {
            position += 1
            var scale = 0.1
            let start = position
            while position < count, bytes[position] >= 0x30, bytes[position] <= 0x39 {
                fraction += Double(bytes[position] - 0x30) * scale
                scale /= 10
                position += 1
            }
            guard position > start, position < count else { return nil }
        }
        var offsetSeconds = 0
        switch bytes[position] {
        case 0x5A, 0x7A:  // Z z
            position += 1
        case 0x2B, 0x2D:  // + -
            guard position + 6 == count, let offsetHour = digits(position + 1, 2), bytes[position + 3] == 0x3A,
                let offsetMinute = digits(position + 4, 2), offsetHour <= 23, offsetMinute <= 59
            else { return nil }
            offsetSeconds = (offsetHour * 3600 + offsetMinute * 60) * (bytes[position] == 0x2B ? 1 : -1)
            position += 6
        default:
            return nil
        }
        guard position == count else { return nil }
        let days = HTTPDate.daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + min(second, 59) - offsetSeconds
        return Date(timeIntervalSince1970: TimeInterval(seconds) + fraction)
    }

    private static func daysInMonth(_ month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
