import Foundation

/// Conversions between the two time formats of the state files: RFC 3339 strings (`reset_time`) and
/// unix seconds (`last_updated`, warmup history, `expires_at`).
public enum Timestamp {
    /// Parses an RFC 3339 / ISO 8601 timestamp, with or without fractional seconds.
    public static func parse(_ text: String) -> Date? {
        if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: false).parse(text) {
            return date
        }
        return try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
    }

    /// Formats a date as RFC 3339 in UTC without fractional seconds (`2026-11-22T18:00:00Z`).
    public static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: false))
    }

    /// Unix seconds, rounded down.
    public static func unixSeconds(_ date: Date) -> Int64 {
        Int64(date.timeIntervalSince1970.rounded(.down))
    }

    public static func date(unixSeconds: Int64) -> Date {
        Date(timeIntervalSince1970: TimeInterval(unixSeconds))
    }
}
