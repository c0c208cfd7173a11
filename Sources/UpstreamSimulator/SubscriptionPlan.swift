import Foundation
import HTTPTypes

/// A subscription account's windows on one simulated key (Claude Pro/Max or ChatGPT/Codex style):
/// a 5-hour and a 7-day window that drain by one unit per model request and refill when they end.
/// A window starts with the first request after it was idle (as the real ones do).
///
/// JSON (on a key, as `subscription`):
/// ```json
/// {"style": "anthropic", "five_hour": {"limit": 100, "used": 0}, "seven_day": {"limit": 1000, "used": 0}}
/// ```
/// `style` `anthropic` sends `anthropic-ratelimit-unified-*` headers and answers `GET
/// /api/oauth/usage`; `codex` sends `x-codex-{primary,secondary}-*` headers and answers `GET
/// /backend-api/wham/usage`. A used-up window makes model requests fail with the style's 429.
public struct SubscriptionPlan: Codable, Sendable, Equatable {
    public enum Style: String, Codable, Sendable {
        case anthropic
        case codex
    }

    /// One window.
    public struct Window: Codable, Sendable, Equatable {
        /// Units per window.
        public var limit: Int
        /// Units used in the current window.
        public var used: Int
        /// Window length (18000 for `five_hour`, 604800 for `seven_day` unless given).
        public var seconds: Int
        /// When the current window started; `nil` while idle.
        public var startedAt: Date?

        public init(limit: Int, used: Int = 0, seconds: Int, startedAt: Date? = nil) {
            self.limit = limit
            self.used = used
            self.seconds = seconds
            self.startedAt = startedAt
        }

        enum CodingKeys: String, CodingKey {
            case limit, used, seconds
            case startedAt = "started_at"
        }

        init(from decoder: any Decoder, defaultSeconds: Int) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            limit = try container.decode(Int.self, forKey: .limit)
            used = try container.decodeIfPresent(Int.self, forKey: .used) ?? 0
            seconds = try container.decodeIfPresent(Int.self, forKey: .seconds) ?? defaultSeconds
            startedAt = try container.decodeIfPresent(Double.self, forKey: .startedAt).map { Date(timeIntervalSince1970: $0) }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(limit, forKey: .limit)
            try container.encode(used, forKey: .used)
            try container.encode(seconds, forKey: .seconds)
            try container.encode(startedAt.map { $0.timeIntervalSince1970.rounded(.down) }, forKey: .startedAt)
        }

        /// When the current window ends; `nil` while idle.
        public var resetAt: Date? { startedAt.map { $0.addingTimeInterval(TimeInterval(seconds)) } }
        /// Used fraction 0–1.
        public var utilization: Double { limit > 0 ? min(1, Double(used) / Double(limit)) : 1 }
        public var isUsedUp: Bool { used >= limit }

        /// Ends a window whose time is up (idle again, nothing used).
        mutating func roll(now: Date) {
            if let resetAt, resetAt <= now {
                used = 0
                startedAt = nil
            }
        }

        func validate(_ context: String) throws(SimulatorError) {
            guard limit >= 0, used >= 0, used <= limit else {
                throw .invalidConfiguration("\(context) needs 0 <= used <= limit (got used \(used), limit \(limit))")
            }
            guard seconds >= 1 else { throw .invalidConfiguration("\(context).seconds must be >= 1") }
        }
    }

    public var style: Style
    public var fiveHour: Window
    public var sevenDay: Window

    public init(style: Style, fiveHour: Window, sevenDay: Window) {
        self.style = style
        self.fiveHour = fiveHour
        self.sevenDay = sevenDay
    }

    enum CodingKeys: String, CodingKey {
        case style
        case fiveHour = "five_hour"
        case sevenDay = "seven_day"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        style = try container.decodeIfPresent(Style.self, forKey: .style) ?? .anthropic
        fiveHour = try Window(from: container.superDecoder(forKey: .fiveHour), defaultSeconds: 18_000)
        sevenDay = try Window(from: container.superDecoder(forKey: .sevenDay), defaultSeconds: 604_800)
    }

    public func validate(context: String) throws(SimulatorError) {
        try fiveHour.validate("\(context).five_hour")
        try sevenDay.validate("\(context).seven_day")
    }

    /// Ends windows whose time is up.
    mutating func roll(now: Date) {
        fiveHour.roll(now: now)
        sevenDay.roll(now: now)
    }

    /// Takes one unit from both windows (starting idle ones); `false`, and nothing taken, when one
    /// is used up.
    mutating func consume(now: Date) -> Bool {
        roll(now: now)
        guard !fiveHour.isUsedUp, !sevenDay.isUsedUp else { return false }
        for keyPath in [\SubscriptionPlan.fiveHour, \SubscriptionPlan.sevenDay] {
            self[keyPath: keyPath].used += 1
            if self[keyPath: keyPath].startedAt == nil { self[keyPath: keyPath].startedAt = now }
        }
        return true
    }

    // MARK: - Wire forms

    /// The answer headers of the style.
    func headers(now: Date) -> HTTPFields {
        var fields = HTTPFields()
        func add(_ name: String, _ value: String) {
            if let field = HTTPField.Name(name) { fields.append(HTTPField(name: field, value: value)) }
        }
        func reset(_ window: Window) -> Date {
            window.resetAt ?? now.addingTimeInterval(TimeInterval(window.seconds))
        }
        switch style {
        case .anthropic:
            let binding = sevenDay.isUsedUp || (sevenDay.utilization > fiveHour.utilization) ? sevenDay : fiveHour
            let rejected = fiveHour.isUsedUp || sevenDay.isUsedUp
            add("anthropic-ratelimit-unified-status", rejected ? "rejected" : "allowed")
            add("anthropic-ratelimit-unified-5h-status", fiveHour.isUsedUp ? "rejected" : "allowed")
            add("anthropic-ratelimit-unified-5h-utilization", Self.fraction(fiveHour.utilization))
            add("anthropic-ratelimit-unified-5h-reset", String(Int(reset(fiveHour).timeIntervalSince1970.rounded(.up))))
            add("anthropic-ratelimit-unified-7d-status", sevenDay.isUsedUp ? "rejected" : "allowed")
            add("anthropic-ratelimit-unified-7d-utilization", Self.fraction(sevenDay.utilization))
            add("anthropic-ratelimit-unified-7d-reset", String(Int(reset(sevenDay).timeIntervalSince1970.rounded(.up))))
            add("anthropic-ratelimit-unified-reset", String(Int(reset(binding).timeIntervalSince1970.rounded(.up))))
            add("anthropic-ratelimit-unified-representative-claim", binding == sevenDay ? "seven_day" : "five_hour")
        case .codex:
            for (name, window) in [("primary", fiveHour), ("secondary", sevenDay)] {
                add("x-codex-\(name)-used-percent", Self.fraction(window.utilization * 100))
                add("x-codex-\(name)-window-minutes", String(window.seconds / 60))
                add("x-codex-\(name)-reset-at", String(Int(reset(window).timeIntervalSince1970.rounded(.up))))
                add("x-codex-\(name)-reset-after-seconds", String(Int(reset(window).timeIntervalSince(now).rounded(.up))))
            }
        }
        return fields
    }

    /// The 429 a used-up window earns, with the headers.
    func rejection(now: Date) -> (status: Int, body: JSONValue, headers: HTTPFields) {
        let window = sevenDay.isUsedUp ? sevenDay : fiveHour
        let resetAt = Int((window.resetAt ?? now).timeIntervalSince1970.rounded(.up))
        switch style {
        case .anthropic:
            return (
                429,
                ["type": "error", "error": ["type": "rate_limit_error", "message": "This request would exceed your account's rate limit. Please try again later."]],
                headers(now: now)
            )
        case .codex:
            return (
                429,
                ["error": [
                    "type": "usage_limit_reached", "message": "The usage limit has been reached", "plan_type": "plus",
                    "resets_at": .int(resetAt), "resets_in_seconds": .int(max(0, resetAt - Int(now.timeIntervalSince1970))),
                ]],
                headers(now: now)
            )
        }
    }

    /// `GET /api/oauth/usage` (utilization in percent, 0–100; an idle window is `null`).
    func anthropicUsage() -> JSONValue {
        func window(_ window: Window) -> JSONValue {
            guard let resetAt = window.resetAt else { return .null }
            return ["utilization": .number(window.utilization * 100), "resets_at": .string(RateLimitFormatting.rfc3339(resetAt))]
        }
        return [
            "five_hour": window(fiveHour), "seven_day": window(sevenDay), "seven_day_opus": .null,
            "extra_usage": ["is_enabled": false, "monthly_limit": .null, "used_credits": .null, "utilization": .null],
        ]
    }

    /// `GET /backend-api/wham/usage`.
    func codexUsage(now: Date) -> JSONValue {
        func window(_ window: Window) -> JSONValue {
            let reset = window.resetAt ?? now.addingTimeInterval(TimeInterval(window.seconds))
            return [
                "used_percent": .number(window.utilization * 100), "limit_window_seconds": .int(window.seconds),
                "reset_after_seconds": .int(Int(reset.timeIntervalSince(now).rounded(.up))),
                "reset_at": .int(Int(reset.timeIntervalSince1970.rounded(.up))),
            ]
        }
        return [
            "plan_type": "plus",
            "rate_limit": [
                "allowed": .bool(!fiveHour.isUsedUp && !sevenDay.isUsedUp),
                "limit_reached": .bool(fiveHour.isUsedUp || sevenDay.isUsedUp),
                "primary_window": window(fiveHour), "secondary_window": window(sevenDay),
            ],
            "credits": ["has_credits": false, "unlimited": false, "balance": "0"],
        ]
    }

    /// A fraction without needless digits: `0`, `0.05`, `0.333333`.
    static func fraction(_ value: Double) -> String {
        let rounded = (value * 1_000_000).rounded() / 1_000_000
        if rounded == rounded.rounded() { return String(Int(rounded)) }
        return String(rounded)
    }
}
