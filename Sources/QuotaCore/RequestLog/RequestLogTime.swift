import Foundation

/// The request log's time format: RFC 3339 in UTC with milliseconds (`2026-11-22T16:47:00.123Z`).
///
/// Hand-written (no formatter state), because the proxy formats one per request record.
public enum RequestLogTime {
    /// `2026-11-22T16:47:00.123Z`.
    public static func format(_ date: Date) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        append(date, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the formatted time (without quotes) to `bytes`.
    public static func append(_ date: Date, to bytes: inout [UInt8]) {
        let milliseconds = millisecondsSince1970(date)
        let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        let fraction = Int(milliseconds - seconds * 1000)
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondsOfDay = Int(seconds - days * 86_400)
        let (year, month, day) = HTTPDate.civilFromDays(Int(days))
        func digits(_ value: Int, _ count: Int) {
            var divisor = 1
            for _ in 1..<count { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                bytes.append(UInt8(0x30 + (rest / divisor) % 10))
                rest %= divisor
                divisor /= 10
            }
        }
        digits(year, 4)
        bytes.append(0x2D)
        digits(month, 2)
        bytes.append(0x2D)
        digits(day, 2)
        bytes.append(0x54)  // T
        digits(secondsOfDay / 3600, 2)
        bytes.append(0x3A)
        digits(secondsOfDay % 3600 / 60, 2)
        bytes.append(0x3A)
        digits(secondsOfDay % 60, 2)
        bytes.append(0x2E)
        digits(fraction, 3)
        bytes.append(0x5A)  // Z
    }

    /// Parses an RFC 3339 time with or without a fraction (any offset), rounded to the millisecond.
    public static func parse(_ text: String) -> Date? {
        RFC3339.parse(Substring(text)).map(roundedToMilliseconds)
    }

    /// The same instant to the nearest millisecond, so formatting and parsing round-trip exactly.
    public static func roundedToMilliseconds(_ date: Date) -> Date {
        Date(timeIntervalSince1970: Double(millisecondsSince1970(date)) / 1000)
    }

    static func millisecondsSince1970(_ date: Date) -> Int64 {
        let value = (date.timeIntervalSince1970 * 1000).rounded()
        guard value.isFinite else { return 0 }
        return Int64(max(-62_135_596_800_000, min(253_402_300_799_999, value)))
    }
}
