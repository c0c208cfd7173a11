/// Why an account (or one of its protection groups) is temporarily unusable.
public enum CooldownReason: String, Sendable, Equatable, Hashable, Codable, CaseIterable {
    /// The quota for the group is used up (per account and group).
    case quotaExhausted = "quota_exhausted"
    /// The upstream answered 429 (per account and group).
    case rateLimited = "rate_limited"
    /// Repeated service errors opened the circuit breaker (whole account).
    case circuitOpen = "circuit_open"
    /// The upstream rejected the credentials (whole account).
    case authFailed = "auth_failed"

    /// Whether the block applies to the whole account rather than one protection group.
    public var isAccountWide: Bool {
        self == .circuitOpen || self == .authFailed
    }
}
