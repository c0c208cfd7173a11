import Foundation

/// The `Retry-After` response header (RFC 9110 section 10.2.3).
public enum RetryAfter {
    /// When to retry: `now` + delta-seconds, or the HTTP-date given. `nil` for garbage or negative
    /// values. A date in the past is returned as is (retry now).
    public static func parse(_ value: String, now: Date) -> Date? {
        if let seconds = parseSeconds(value) {
            return now.addingTimeInterval(seconds)
        }
        return HTTPDate.parse(value)
    }

    /// The first `Retry-After` header in `headers`, parsed.
    @inlinable
    public static func find(in headers: some Sequence<(name: String, value: String)>, now: Date) -> Date? {
        for header in headers where isRetryAfter(header.name) {
            return parse(header.value, now: now)
        }
        return nil
    }

    /// Whether a header name is `Retry-After` (any case).
    public static func isRetryAfter(_ name: String) -> Bool {
        HeaderName.equals(name, "retry-after")
    }

    /// Delta-seconds. RFC 9110 allows only digits; a decimal fraction is accepted as well.
    private static func parseSeconds(_ value: String) -> TimeInterval? {
        let trimmed = HeaderName.trimmed(value)
        guard !trimmed.isEmpty, trimmed.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E }),
            let seconds = Double(trimmed), seconds.isFinite, seconds <= GoDuration.maximumSeconds
        else { return nil }
        return seconds
    }
}
