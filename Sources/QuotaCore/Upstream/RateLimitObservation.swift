import Foundation

/// What an upstream's limit headers say: per-minute request and token limits of the model a request
/// used, and the subscription windows of the account (Anthropic unified, Codex).
///
/// Produced by ``RateLimitHeaders/parse(_:now:)``; turned into ``QuotaWindow``s by
/// ``windows(model:now:maxResetHintSeconds:)``.
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

    /// The header family of the per-minute figures, `nil` when none was present.
    public var style: Style?
    public var requests: Window
    public var tokens: Window
    /// Anthropic `anthropic-ratelimit-input-tokens-*`.
    public var inputTokens = Window()
    /// Anthropic `anthropic-ratelimit-output-tokens-*`.
    public var outputTokens = Window()
    /// `anthropic-ratelimit-unified-*` (subscription windows).
    public var unified = UnifiedLimits()
    /// `x-codex-{primary,secondary}-*` (subscription windows).
    public var codex = CodexLimits()

    public init(style: Style? = nil, requests: Window = Window(), tokens: Window = Window()) {
        self.style = style
        self.requests = requests
        self.tokens = tokens
    }

    /// The windows these headers describe (SPEC 2.6):
    /// - the per-minute figures of `model` as one model-scope window per length: the lowest
    ///   percentage among requests and tokens, with that figure's reset. Its length comes from the
    ///   reset: below one hour a `rate_limit` window of 60 s, else a `quota` window of a day (or
    ///   7 days beyond a day). Anthropic's are always `rate_limit`;
    /// - the unified and Codex windows, account scope.
    /// Resets are clamped to `maxResetHintSeconds` from `now`.
    public func windows(model: String, now: Date, maxResetHintSeconds: Int = QuotaWindows.defaultMaxResetHintSeconds)
        -> [QuotaWindow]
    {
        var result: [QuotaWindow] = []
        for window in [requests, tokens, inputTokens, outputTokens] {
            guard let percentage = window.percentage else { continue }
            let seconds = lengthSeconds(resetAt: window.resetAt, now: now)
            let reset = QuotaWindows.clampedReset(window.resetAt, now: now, maxResetHintSeconds: maxResetHintSeconds)
            if let index = result.firstIndex(where: { $0.windowSeconds == seconds }) {
                if percentage < result[index].percentage {
                    result[index].percentage = percentage
                    result[index].resetTime = reset
                }
            } else {
                result.append(
                    QuotaWindow.classified(
                        scope: .model, model: model, windowSeconds: seconds, percentage: percentage, resetTime: reset,
                        source: .headers, observedAt: now))
            }
        }
        if !unified.isEmpty { result += unified.windows(now: now, maxResetHintSeconds: maxResetHintSeconds) }
        if !codex.isEmpty { result += codex.windows(now: now, maxResetHintSeconds: maxResetHintSeconds) }
        return result
    }

    /// The length a per-minute figure's window is filed under.
    private func lengthSeconds(resetAt: Date?, now: Date) -> Int {
        guard style == .openAI, let resetAt else { return 60 }
        let distance = resetAt.timeIntervalSince(now)
        if distance < TimeInterval(QuotaWindow.quotaThresholdSeconds) { return 60 }
        return distance <= 86_400 ? 86_400 : 604_800
    }

    /// The subscription (quota) windows with nothing left: unified windows rejected or fully
    /// used, Codex windows of an hour or more at 100% used.
    public func exhaustedQuotaWindows(now: Date, maxResetHintSeconds: Int = QuotaWindows.defaultMaxResetHintSeconds)
        -> [QuotaWindow]
    {
        var windows: [QuotaWindow] = []
        if !unified.isEmpty { windows += unified.windows(now: now, maxResetHintSeconds: maxResetHintSeconds) }
        if !codex.isEmpty { windows += codex.windows(now: now, maxResetHintSeconds: maxResetHintSeconds) }
        return windows.filter { $0.kind == .quota && $0.isExhausted }
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
        requests.isEmpty && tokens.isEmpty && inputTokens.isEmpty && outputTokens.isEmpty && unified.isEmpty && codex.isEmpty
    }

    /// When the limits that stopped a 429 lift: the latest reset among exhausted windows, else the
    /// earliest reset given, else `nil`.
    public var limitLiftsAt: Date? {
        let all = [requests, tokens, inputTokens, outputTokens]
        let exhausted = all.filter(\.isExhausted).compactMap(\.resetAt)
        if let latest = exhausted.max() { return latest }
        return all.compactMap(\.resetAt).min()
    }

    /// The observation as a quota entry for `model` (what `quota.models[]` stores), `nil` without a
    /// percentage.
    public func modelQuota(named model: String) -> ModelQuota? {
        guard let percentage else { return nil }
        return ModelQuota(name: model, percentage: percentage, resetTime: resetAt)
    }
}
