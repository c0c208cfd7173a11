/// An account Quota Protection cannot act on, for `quota-proxyctl protection` (the seed's most
/// common pitfall: protection is on, but the account has no quota figures).
public struct ProtectionBlindSpot: Sendable, Equatable {
    public enum Reason: String, Sendable, Equatable {
        /// The quota source answered 403; there are no figures.
        case forbidden
        /// No quota was ever recorded (`quota.last_updated` is unset).
        case neverRefreshed
        /// Quota was recorded but lists no models.
        case noModels
        /// Only rate limits are known (per-minute headers): they pace, they never protect.
        case onlyRateLimits
    }

    public var accountID: String
    public var reason: Reason
    public var quotaSource: QuotaSource.Kind

    public init(accountID: String, reason: Reason, quotaSource: QuotaSource.Kind) {
        self.accountID = accountID
        self.reason = reason
        self.quotaSource = quotaSource
    }

    /// A one-line explanation for the operator.
    public var message: String {
        let why: String
        switch reason {
        case .forbidden:
            why = "quota source answered 403 (is_forbidden)"
        case .neverRefreshed:
            why = quotaSource == .headers
                ? "no quota data yet (quota_source headers: figures appear after the first proxied answer)"
                : "no quota data yet (quota_source \(quotaSource.rawValue) not refreshed)"
        case .noModels:
            why = "quota data lists no models"
        case .onlyRateLimits:
            why = "only per-minute rate limits are known (they pace requests; protection needs a quota window)"
        }
        return "\(accountID): \(why); protection cannot act on it"
    }
}
