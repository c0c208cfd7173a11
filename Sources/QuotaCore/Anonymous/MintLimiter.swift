import Foundation

/// The rules for minting anonymous fallback credentials (SPEC 2.2) over the persisted
/// ``AnonymousMintState``: never within ``minInterval`` of the previous attempt, never before the
/// cooldown that follows a 429 from the mint endpoint ends; a successful mint clears both.
///
/// Persist ``state`` (`anonymous.json`) after every `record…` call.
public struct MintLimiter: Sendable, Equatable {
    /// Whether a mint may be attempted now.
    public enum Decision: Sendable, Equatable {
        case allowed
        /// Not before `until`; `reason` says which limit applies, for logs and operators.
        case wait(until: Date, reason: String)
    }

    public private(set) var state: AnonymousMintState
    /// Minimum time between two attempts (`anonymous.min_interval_seconds`, default 300).
    public var minInterval: TimeInterval
    /// Wait after the mint endpoint answered 429 (`anonymous.cooldown_after_429_seconds`, default 3600).
    public var cooldownAfter429: TimeInterval

    public init(minInterval: TimeInterval = 300, cooldownAfter429: TimeInterval = 3600, state: AnonymousMintState = AnonymousMintState()) {
        self.minInterval = minInterval
        self.cooldownAfter429 = cooldownAfter429
        self.state = state
    }

    public init(configuration: QuotaProxyConfiguration.Anonymous, state: AnonymousMintState = AnonymousMintState()) {
        self.init(
            minInterval: TimeInterval(configuration.minIntervalSeconds),
            cooldownAfter429: TimeInterval(configuration.cooldownAfter429Seconds),
            state: state)
    }

    /// `.allowed`, or `.wait` until the later of the two limits.
    public func decision(now: Date) -> Decision {
        var wait: (until: Date, reason: String)?
        if let cooldownUntil = state.cooldownUntil, now < cooldownUntil {
            wait = (cooldownUntil, "the mint endpoint answered 429; waiting until \(Timestamp.format(cooldownUntil))")
        }
        if let lastAttempt = state.lastAttempt {
            let next = lastAttempt.addingTimeInterval(minInterval)
            if now < next, wait == nil || next > wait!.until {
                wait = (next, "last mint attempt was at \(Timestamp.format(lastAttempt)); at most one every \(Int(minInterval)) s")
            }
        }
        guard let wait else { return .allowed }
        return .wait(until: wait.until, reason: wait.reason)
    }

    /// A mint is about to be attempted (call before sending it, whatever the outcome).
    public mutating func recordAttempt(now: Date) {
        state.lastAttempt = now
    }

    /// The mint endpoint answered 429.
    public mutating func recordRateLimited(now: Date) {
        state.cooldownUntil = now.addingTimeInterval(cooldownAfter429)
    }

    /// A mint succeeded: both limits are cleared.
    public mutating func recordSuccess() {
        state.lastAttempt = nil
        state.cooldownUntil = nil
    }
}
