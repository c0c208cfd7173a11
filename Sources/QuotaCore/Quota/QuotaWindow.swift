import Foundation

/// One limit an upstream reports for an account (SPEC 2.6): a per-minute rate limit or a windowed
/// quota, for one model or for the whole account, as stored in `quota.windows[]`.
///
/// File form: `{"kind":"quota","scope":"account","window_seconds":18000,"percentage":76,
/// "reset_time":"2026-11-22T17:00:00Z","source":"headers","observed_at":1795348800}` (`model` only
/// with `scope: "model"`; `window_seconds` and `reset_time` may be `null` when the source does not
/// say).
public struct QuotaWindow: Sendable, Equatable {
    /// What the limit is for: pacing (``rateLimit``) or protection and warmup (``quota``).
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// Shorter than one hour (requests or tokens per minute): paces, never protects.
        case rateLimit = "rate_limit"
        /// One hour or longer (5-hour, daily, 7-day, a polled quota with a reset): protects and
        /// drives warmup.
        case quota
    }

    /// Whom the limit covers.
    public enum Scope: String, Sendable, Codable, CaseIterable {
        /// One model of the account (``QuotaWindow/model``).
        case model
        /// Every model of the account (subscription windows such as Anthropic's 5-hour one).
        case account
    }

    /// Where the figure came from.
    public enum Source: String, Sendable, Codable, CaseIterable {
        /// Answer headers of proxied requests (`x-ratelimit-*`, `anthropic-ratelimit-*`, `x-codex-*`).
        case headers
        /// `fetchAvailableModels` polled by the refresher.
        case antigravity
        /// A generic quota endpoint polled by the refresher.
        case quotaURL = "quota_url"
        /// `GET {url}/api/oauth/usage` polled by the refresher.
        case anthropicUsage = "anthropic_usage"
        /// `GET {url}/backend-api/wham/usage` polled by the refresher.
        case codexUsage = "codex_usage"
        /// The body of a 429 answer (`usage_limit_reached`, `RESOURCE_EXHAUSTED`).
        case errorBody = "error_body"

        /// Sources the refresher polls (their windows go stale when not refreshed).
        public var isPolled: Bool {
            switch self {
            case .antigravity, .quotaURL, .anthropicUsage, .codexUsage: true
            case .headers, .errorBody: false
            }
        }

        /// The window source of a polled quota source kind; `headers` for `headers`.
        public init(_ kind: QuotaSource.Kind) {
            switch kind {
            case .headers: self = .headers
            case .antigravity: self = .antigravity
            case .quotaURL: self = .quotaURL
            case .anthropicUsage: self = .anthropicUsage
            case .codexUsage: self = .codexUsage
            }
        }
    }

    /// Windows shorter than this are rate limits (SPEC 2.6: one hour).
    public static let quotaThresholdSeconds = 3600

    public var kind: Kind
    public var scope: Scope
    /// The model for ``Scope/model``; `nil` for ``Scope/account``.
    public var model: String?
    /// The window's length; `nil` when the source does not say (a polled quota).
    public var windowSeconds: Int?
    /// What is left, 0–100.
    public var percentage: Double
    /// When the window resets (or, at 0, when the account may be used again), if known.
    public var resetTime: Date?
    public var source: Source
    /// When the figure was observed.
    public var observedAt: Date

    public init(
        kind: Kind, scope: Scope, model: String? = nil, windowSeconds: Int?, percentage: Double, resetTime: Date?,
        source: Source, observedAt: Date
    ) {
        self.kind = kind
        self.scope = scope
        self.model = scope == .model ? model : nil
        self.windowSeconds = windowSeconds.map { max(1, $0) }
        self.percentage = percentage.isFinite ? min(100, max(0, percentage)) : 0
        self.resetTime = resetTime
        self.source = source
        self.observedAt = observedAt
    }

    /// A window whose kind follows its length (SPEC 2.6): `rate_limit` below one hour, else `quota`.
    public static func classified(
        scope: Scope, model: String? = nil, windowSeconds: Int, percentage: Double, resetTime: Date?, source: Source,
        observedAt: Date
    ) -> QuotaWindow {
        QuotaWindow(
            kind: windowSeconds < quotaThresholdSeconds ? .rateLimit : .quota, scope: scope, model: model,
            windowSeconds: windowSeconds, percentage: percentage, resetTime: resetTime, source: source,
            observedAt: observedAt)
    }

    /// Two windows with the same identity describe the same limit; a newer observation replaces
    /// the older (source + scope + model + length).
    public func sameLimit(as other: QuotaWindow) -> Bool {
        source == other.source && scope == other.scope && model == other.model && windowSeconds == other.windowSeconds
            && kind == other.kind
    }

    /// Whether this window covers `model` (account-scope windows cover every model).
    public func covers(model name: String) -> Bool {
        scope == .account || model == name
    }

    /// Whether nothing is left.
    public var isExhausted: Bool { percentage <= 0 }

    /// A short name for the window's length: `1m`, `5h`, `7d`, `90s`; `quota` when unknown.
    public var label: String {
        guard let windowSeconds else { return "quota" }
        return Self.label(seconds: windowSeconds)
    }

    /// `60` → `1m`, `18000` → `5h`, `604800` → `7d`, `90` → `90s`, `5400` → `90m`.
    public static func label(seconds: Int) -> String {
        if seconds >= 86_400 && seconds % 86_400 == 0 { return "\(seconds / 86_400)d" }
        if seconds >= 3600 && seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds >= 60 && seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }

    /// The window as it stands at `now`: a header window whose reset has passed is full again
    /// (the upstream starts a new window), other figures are returned as they are.
    public func current(at now: Date) -> QuotaWindow {
        guard source == .headers, kind == .quota, let resetTime, resetTime <= now, percentage < 100 else { return self }
        var copy = self
        copy.percentage = 100
        return copy
    }

    /// Whether the window no longer says anything at `now`: a rate limit or an error-body marker
    /// whose reset has passed (or, without a reset, older than its length or one hour).
    public func hasExpired(at now: Date) -> Bool {
        guard kind == .rateLimit || source == .errorBody else { return false }
        if let resetTime { return resetTime <= now }
        let lifetime = TimeInterval(max(windowSeconds ?? Self.quotaThresholdSeconds, 60))
        return now.timeIntervalSince(observedAt) >= lifetime
    }
}

extension QuotaWindow: Codable {
    enum CodingKeys: String, CodingKey {
        case kind, scope, model
        case windowSeconds = "window_seconds"
        case percentage
        case resetTime = "reset_time"
        case source
        case observedAt = "observed_at"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try container.decode(Kind.self, forKey: .kind)
        let scope = try container.decodeIfPresent(Scope.self, forKey: .scope) ?? .model
        let model = try container.decodeIfPresent(String.self, forKey: .model)
        if scope == .model && (model ?? "").isEmpty {
            throw DecodingError.dataCorruptedError(
                forKey: .model, in: container, debugDescription: "a window with scope \"model\" needs a model name")
        }
        let windowSeconds = try container.decodeIfPresent(Int.self, forKey: .windowSeconds)
        if let windowSeconds, windowSeconds <= 0 {
            throw DecodingError.dataCorruptedError(
                forKey: .windowSeconds, in: container,
                debugDescription: "window_seconds must be positive, got \(windowSeconds)")
        }
        let percentage = try container.decode(Double.self, forKey: .percentage)
        guard (0...100).contains(percentage) else {
            throw DecodingError.dataCorruptedError(
                forKey: .percentage, in: container,
                debugDescription: "window percentage must be between 0 and 100, got \(percentage)")
        }
        var resetTime: Date?
        if let text = try container.decodeIfPresent(String.self, forKey: .resetTime) {
            guard let date = Timestamp.parse(text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .resetTime, in: container, debugDescription: "window reset_time is not an RFC 3339 time: \"\(text)\"")
            }
            resetTime = date
        }
        let source = try container.decode(Source.self, forKey: .source)
        let observed = try container.decode(Double.self, forKey: .observedAt)
        guard observed.isFinite else {
            throw DecodingError.dataCorruptedError(
                forKey: .observedAt, in: container, debugDescription: "observed_at must be unix seconds")
        }
        self.init(
            kind: kind, scope: scope, model: model, windowSeconds: windowSeconds, percentage: percentage, resetTime: resetTime,
            source: source, observedAt: Date(timeIntervalSince1970: observed))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        try container.encode(scope, forKey: .scope)
        try container.encodeIfPresent(model, forKey: .model)
        try container.encode(windowSeconds, forKey: .windowSeconds)
        let rounded = (percentage * 10_000).rounded() / 10_000
        if rounded.rounded() == rounded {
            try container.encode(Int(rounded), forKey: .percentage)
        } else {
            try container.encode(rounded, forKey: .percentage)
        }
        try container.encode(resetTime.map(Timestamp.format), forKey: .resetTime)
        try container.encode(source, forKey: .source)
        try container.encode(Timestamp.unixSeconds(observedAt), forKey: .observedAt)
    }
}
