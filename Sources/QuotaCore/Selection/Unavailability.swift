import Foundation

/// Why no account could take a request, for the client's error and the operator's logs.
///
/// `willNeverRecover` decides the status: 503 when nothing will change by waiting (no account
/// serves the model, or all that do are disabled or forbidden), else 429 with `Retry-After`.
public struct Unavailability: Sendable, Equatable {
    /// Counts for one tier: every account of the request's providers and that tier that serves the
    /// model, by the first reason it could not be used (disabled, forbidden, protected, cooling down,
    /// already tried, in that order).
    public struct TierCounts: Sendable, Equatable {
        public var total = 0
        public var disabled = 0
        public var forbidden = 0
        public var protected = 0
        public var quotaExhausted = 0
        public var rateLimited = 0
        public var circuitOpen = 0
        public var authFailed = 0
        /// Usable, but already tried for this request.
        public var alreadyTried = 0

        public init() {}

        /// All cooldown reasons together.
        public var coolingDown: Int { quotaExhausted + rateLimited + circuitOpen + authFailed }

        /// Accounts that will not come back by waiting.
        public var unusable: Int { disabled + forbidden }

        mutating func add(_ other: TierCounts) {
            total += other.total
            disabled += other.disabled
            forbidden += other.forbidden
            protected += other.protected
            quotaExhausted += other.quotaExhausted
            rateLimited += other.rateLimited
            circuitOpen += other.circuitOpen
            authFailed += other.authFailed
            alreadyTried += other.alreadyTried
        }
    }

    /// The providers that were considered (the client's own first).
    public var providers: [Provider]
    public var model: String
    public var group: String
    public var primary: TierCounts
    /// Fallback-tier counts; only ``TierCounts/total`` is filled when ``fallbackSkipped``.
    public var fallback: TierCounts
    /// Fallback accounts serve the model but `disable_fallback` kept them out.
    public var fallbackSkipped: Bool
    /// The earliest time a considered account may become usable again: end of a cooldown, or for
    /// a protected account its quota `reset_time` for the group (when known). `nil` when unknown.
    public var earliestRecovery: Date?
    /// Waiting will not help: answer 503 instead of 429.
    public var willNeverRecover: Bool

    public init(
        providers: [Provider], model: String, group: String, primary: TierCounts, fallback: TierCounts,
        fallbackSkipped: Bool, earliestRecovery: Date?, willNeverRecover: Bool
    ) {
        self.providers = providers
        self.model = model
        self.group = group
        self.primary = primary
        self.fallback = fallback
        self.fallbackSkipped = fallbackSkipped
        self.earliestRecovery = earliestRecovery
        self.willNeverRecover = willNeverRecover
    }

    /// Counts of the tiers that were considered (primary, plus fallback unless skipped).
    public var considered: TierCounts {
        var counts = primary
        if !fallbackSkipped { counts.add(fallback) }
        return counts
    }

    /// No account of any considered tier serves the model at all (and fallback accounts were not
    /// merely skipped): the model is unknown here, a 404 rather than an outage.
    public var servesNothing: Bool {
        primary.total == 0 && fallback.total == 0
    }

    /// 503 when ``willNeverRecover``, else 429.
    public var httpStatus: Int { willNeverRecover ? 503 : 429 }

    /// Seconds for `Retry-After` (at least 1): until ``earliestRecovery``; 1 when only already-tried
    /// accounts are left; `whenUnknown` otherwise.
    public func retryAfterSeconds(now: Date, whenUnknown: Int = 60) -> Int {
        if let earliestRecovery {
            let seconds = earliestRecovery.timeIntervalSince(now).rounded(.up)
            return seconds.isFinite ? Int(max(1, min(seconds, 86_400 * 366))) : whenUnknown
        }
        return considered.alreadyTried > 0 ? 1 : max(1, whenUnknown)
    }

    /// `"openai "` when one provider was considered, else nothing.
    private var providerText: String {
        providers.count == 1 ? providers[0].rawValue + " " : ""
    }

    /// The client-facing message, e.g. `No account can serve claude-sonnet-4-5 right now:
    /// 2 protected, 1 cooling down; earliest recovery 2026-11-22T18:00:00Z`.
    public var message: String {
        let counts = considered
        if counts.total == 0 {
            if fallbackSkipped {
                return "No primary \(providerText)account serves \(model), and fallback accounts are not used (routing.disable_fallback)"
            }
            return "No \(providerText)account serves \(model)"
        }
        if willNeverRecover {
            var text = "No account can serve \(model): all \(counts.total) \(counts.total == 1 ? "account is" : "accounts are") disabled or forbidden"
            if fallbackSkipped { text += "; fallback accounts are not used (routing.disable_fallback)" }
            return text
        }
        var parts: [String] = []
        if counts.protected > 0 { parts.append("\(counts.protected) protected") }
        if counts.coolingDown > 0 { parts.append("\(counts.coolingDown) cooling down") }
        if counts.unusable > 0 { parts.append("\(counts.unusable) disabled") }
        if counts.alreadyTried > 0 { parts.append("\(counts.alreadyTried) already tried") }
        var text = "No account can serve \(model) right now: " + parts.joined(separator: ", ")
        if let earliestRecovery {
            text += "; earliest recovery \(Timestamp.format(earliestRecovery))"
        } else if counts.alreadyTried == 0 {
            text += "; earliest recovery unknown"
        }
        if fallbackSkipped { text += "; fallback accounts are not used (routing.disable_fallback)" }
        return text
    }
}
