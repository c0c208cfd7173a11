import Foundation

/// Formatting of the durations Google's APIs put in error bodies.
public enum GoogleFormatting {
    /// A protobuf `Duration` in JSON form, as `RetryInfo.retryDelay` carries it: seconds with up to
    /// nine fractional digits and an `s` suffix (`"0.479417s"`, `"26s"`, `"351085s"`).
    public static func protoDuration(seconds: Double) -> String {
        let nanoseconds = Int64((max(0, seconds) * 1_000_000_000).rounded())
        let whole = nanoseconds / 1_000_000_000
        let fraction = nanoseconds % 1_000_000_000
        guard fraction != 0 else { return "\(whole)s" }
        var digits = String(fraction)
        digits = String(repeating: "0", count: 9 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return "\(whole).\(digits)s"
    }

    /// A Go `time.Duration` string, as `ErrorInfo.metadata.quotaResetDelay` carries it
    /// (`"479ms"`, `"1.5s"`, `"13h19m1.209s"`; millisecond precision).
    public static func goDuration(seconds: Double) -> String {
        RateLimitFormatting.openAIDuration(seconds: seconds)
    }
}
