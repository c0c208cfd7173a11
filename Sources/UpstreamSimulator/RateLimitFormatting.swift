import Foundation

/// Formatting of the rate-limit values the real upstreams send.
public enum RateLimitFormatting {
    /// OpenAI's `x-ratelimit-reset-requests` duration: `"20ms"`, `"1s"`, `"1.5s"`, `"6m0s"`,
    /// `"59m59.5s"`, `"1h0m0s"` (Go's `time.Duration` notation, millisecond precision).
    public static func openAIDuration(seconds: Double) -> String {
        let totalMilliseconds = Int((max(0, seconds) * 1000).rounded())
        if totalMilliseconds == 0 { return "0s" }
        if totalMilliseconds < 1000 { return "\(totalMilliseconds)ms" }
        let hours = totalMilliseconds / 3_600_000
        let minutes = (totalMilliseconds % 3_600_000) / 60_000
        let secondsPart = totalMilliseconds % 60_000
        var seconds = String(secondsPart / 1000)
        let fraction = secondsPart % 1000
        if fraction != 0 {
            var digits = String(fraction)
            digits = String(repeating: "0", count: 3 - digits.count) + digits
            while digits.hasSuffix("0") { digits.removeLast() }
            seconds += "." + digits
        }
        if hours > 0 { return "\(hours)h\(minutes)m\(seconds)s" }
        if minutes > 0 { return "\(minutes)m\(seconds)s" }
        return "\(seconds)s"
    }

    /// RFC 3339 UTC timestamp with whole seconds, rounded up so it is never earlier than `date`:
    /// `"2026-11-22T18:00:00Z"`.
    public static func rfc3339(_ date: Date) -> String {
        let rounded = Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.up))
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: rounded)
    }

    /// Whole seconds until `snapshot` resets, rounded up (at least 1 while a reset is pending).
    static func wholeSeconds(_ seconds: Double) -> Int {
        Int(seconds.rounded(.up))
    }
}
