/// The `ErrorInfo.reason` of a Google 429 `RESOURCE_EXHAUSTED`.
public enum GoogleQuotaReason: String, Sendable, Equatable {
    /// A long window is used up (daily, 5-hour, weekly): the quota is gone until it resets.
    case quotaExhausted = "QUOTA_EXHAUSTED"
    /// A short pacing limit (per minute): wait a little.
    case rateLimitExceeded = "RATE_LIMIT_EXCEEDED"

    /// The reason for an exhausted quota window of `windowSeconds`: windows under an hour are rate
    /// limits (the same line quota-proxy draws between `rate_limit` and `quota` windows).
    static func forWindow(seconds windowSeconds: Int) -> GoogleQuotaReason {
        windowSeconds < 3600 ? .rateLimitExceeded : .quotaExhausted
    }
}
