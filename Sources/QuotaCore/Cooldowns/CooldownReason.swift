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
    /// A rate-limit window has nothing left (SPEC 2.6): set aside until it resets, so the next
    /// request goes elsewhere instead of earning a 429. Per group, or for the whole account when
    /// the limit is account-wide.
    case paced

    /// Whether the block always applies to the whole account rather than one protection group
    /// (``paced`` can be either).
    public var isAccountWide: Bool {
        self == .circuitOpen || self == .authFailed
    }
}
