import Foundation

/// What an upstream's rate-limit headers say about the remaining quota of the model a request used.
///
/// Produced by ``RateLimitHeaders/parse(_:now:)``. Requests are the primary figure (that is what an
/// account's quota percentage means); the token window is kept for callers that want it and is used
/// only when the answer has no request window.
public struct RateLimitObservation: Sendable, Equatable {
    /// One rate-limit window (requests or tokens) as the headers describe it.
    public struct Window: Sendable, Equatable {
        /// The window's limit; `nil` when absent or not a positive finite number.
        public var limit: Double?
        /// What is left in the window; `nil` when absent or not a non-negative finite number.
        public var remaining: Double?
        /// When the window resets, if the headers say so.
        public var resetAt: Date?

        public init(limit: Double? = nil, remaining: Double? = nil, resetAt: Date? = nil) {
            self.limit = limit
            self.remaining = remaining
            self.resetAt = resetAt
        }

        /// `remaining / limit × 100`, clamped to 0–100; `nil` unless both figures are valid.
        public var percentage: Double? {
            guard let limit, let remaining, limit > 0 else { return nil }
            return min(100, max(0, remaining / limit * 100))
        }

        /// The window is used up (`remaining` is 0).
        public var isExhausted: Bool {
            remaining.map { $0 <= 0 } ?? false
        }

        var isEmpty: Bool { limit == nil && remaining == nil && resetAt == nil }
    }

    /// Which header family the figures came from.
    public enum Style: String, Sendable, Equatable {
        /// `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`.
        case openAI = "openai"
        /// `anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}`.
        case anthropic
    }

    /// The header family, `nil` when no rate-limit header was present.
    public var style: Style?
    public var requests: Window
    public var tokens: Window

    public init(style: Style? = nil, requests: Window = Window(), tokens: Window = Window()) {
        self.style = style
        self.requests = requests
        self.tokens = tokens
    }

    /// Remaining quota 0–100: the request window's percentage, else the token window's; `nil` when
    /// the headers were absent or unusable.
    public var percentage: Double? {
        requests.percentage ?? tokens.percentage
    }

    /// When the window behind ``percentage`` resets (without a percentage: any reset time given).
    public var resetAt: Date? {
        if requests.percentage != nil { return requests.resetAt }
        if tokens.percentage != nil { return tokens.resetAt }
        return requests.resetAt ?? tokens.resetAt
    }

    /// No rate-limit header was understood.
    public var isEmpty: Bool {
        requests.isEmpty && tokens.isEmpty
    }

    /// When the limits that stopped a 429 lift: the latest reset among exhausted windows, else the
    /// earliest reset given, else `nil`.
    public var limitLiftsAt: Date? {
        let exhausted = [requests, tokens].filter(\.isExhausted).compactMap(\.resetAt)
        if let latest = exhausted.max() { return latest }
        return [requests.resetAt, tokens.resetAt].compactMap { $0 }.min()
    }

    /// The observation as a quota entry for `model` (what `quota.models[]` stores), `nil` without a
    /// percentage.
    public func modelQuota(named model: String) -> ModelQuota? {
        guard let percentage else { return nil }
        return ModelQuota(name: model, percentage: percentage, resetTime: resetAt)
    }
}
