import Foundation

/// Reads upstream limit headers into a ``RateLimitObservation``: per-minute rate limits and the
/// subscription windows of Anthropic (unified) and Codex.
///
/// - OpenAI style: `x-ratelimit-limit-requests`, `x-ratelimit-remaining-requests`,
///   `x-ratelimit-reset-requests` (a Go duration such as `6m0s`, or seconds), and the `-tokens` trio.
/// - Anthropic style: `anthropic-ratelimit-requests-limit`, `-remaining`, `-reset` (RFC 3339), and the
///   `tokens` trio.
///
/// - Anthropic unified: `anthropic-ratelimit-unified-{5h,7d}-{utilization,reset,status}`,
///   `-status`, `-reset`, `-representative-claim`.
/// - Codex: `x-codex-{primary,secondary}-{used-percent,window-minutes,reset-at,reset-after-seconds}`.
///
/// Names are matched case-insensitively. Bad values are ignored, never fatal. Reset values are read
/// leniently in either family: a duration (relative to `now`) or an RFC 3339 timestamp.
public enum RateLimitHeaders {
    /// Parses every rate-limit header in `headers` (e.g. NIO's `HTTPHeaders`, whose elements are
    /// `(name: String, value: String)`). Inlinable so that it is specialized for the caller's
    /// header type.
    @inlinable
    public static func parse(_ headers: some Sequence<(name: String, value: String)>, now: Date) -> RateLimitObservation {
        var observation = RateLimitObservation()
        for header in headers {
            record(name: header.name, value: header.value, into: &observation, now: now)
        }
        return observation
    }

    /// Adds one header to `observation`; headers that are not rate-limit headers are ignored.
    public static func record(name: String, value: String, into observation: inout RateLimitObservation, now: Date) {
        HeaderName.withBytes(name) { nameBytes in
            HeaderName.withBytes(value) { valueBytes in
                record(name: nameBytes, value: valueBytes, into: &observation, now: now)
            }
        }
    }

    /// ``record(name:value:into:now:)`` for a header still in its wire bytes (a relay's fast path:
    /// headers that are not limit headers cost a length check and a prefix compare).
    public static func record(
        name: UnsafeBufferPointer<UInt8>, value raw: UnsafeBufferPointer<UInt8>, into observation: inout RateLimitObservation,
        now: Date
    ) {
        // Cheap reject first: most headers are not limit headers.
        guard name.count >= 24 else { return }
        switch HeaderName.lower(name[0]) {
        case 0x78:  // x
            if HeaderName.hasPrefix(name, "x-ratelimit-") {
                recordPerMinute(name: name, value: raw, into: &observation, now: now)
            } else if HeaderName.hasPrefix(name, "x-codex-") {
                recordCodex(name: name, value: HeaderName.trimmed(raw), into: &observation.codex, now: now)
            }
        case 0x61:  // a
            guard HeaderName.hasPrefix(name, "anthropic-ratelimit-") else { return }
            if HeaderName.hasPrefix(name, "anthropic-ratelimit-unified-") {
                recordUnified(name: name, value: HeaderName.trimmed(raw), into: &observation.unified, now: now)
            } else {
                recordPerMinute(name: name, value: raw, into: &observation, now: now)
            }
        default:
            return
        }
    }

    private static func recordPerMinute(
        name: UnsafeBufferPointer<UInt8>, value raw: UnsafeBufferPointer<UInt8>, into observation: inout RateLimitObservation,
        now: Date
    ) {
        guard let field = field(named: name) else { return }
        observation.style = observation.style ?? field.style
        let bytes = HeaderName.trimmed(raw)
        func update(_ window: inout RateLimitObservation.Window) {
            switch field.kind {
            case .limit:
                window.limit = HeaderName.decimal(bytes).flatMap { $0 > 0 ? $0 : nil }
            case .remaining:
                window.remaining = HeaderName.decimal(bytes).flatMap { $0 >= 0 ? $0 : nil }
            case .reset:
                window.resetAt = parseReset(bytes: bytes, now: now)
            }
        }
        switch field.unit {
        case .requests: update(&observation.requests)
        case .tokens: update(&observation.tokens)
        case .inputTokens: update(&observation.inputTokens)
        case .outputTokens: update(&observation.outputTokens)
        }
    }

    /// `anthropic-ratelimit-unified-{status,reset,representative-claim}` and
    /// `-{5h,7d}-{utilization,reset,status}`; other unified headers (`7d_oi`, overage,
    /// fallback) are not windows and are ignored.
    private static func recordUnified(
        name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>, into unified: inout UnifiedLimits, now: Date
    ) {
        let rest = 28  // "anthropic-ratelimit-unified-".count
        if HeaderName.suffixEquals(name, from: rest, "status") {
            unified.status = status(value)
        } else if HeaderName.suffixEquals(name, from: rest, "reset") {
            unified.resetAt = epoch(value)
        } else if HeaderName.suffixEquals(name, from: rest, "representative-claim") {
            if HeaderName.equals(value, "five_hour") {
                unified.representativeClaim = .fiveHour
            } else if HeaderName.equals(value, "seven_day") {
                unified.representativeClaim = .sevenDay
            }
        } else if name.count > rest + 3 && name[rest + 2] == 0x2D {
            let window = rest..<(rest + 2)
            if HeaderName.equals(name, window, "5h") {
                recordUnifiedWindow(name: name, from: rest + 3, value: value, into: &unified.fiveHour)
            } else if HeaderName.equals(name, window, "7d") {
                recordUnifiedWindow(name: name, from: rest + 3, value: value, into: &unified.sevenDay)
            }
        }
    }

    private static func recordUnifiedWindow(
        name: UnsafeBufferPointer<UInt8>, from offset: Int, value: UnsafeBufferPointer<UInt8>, into window: inout UnifiedLimits.Window
    ) {
        if HeaderName.suffixEquals(name, from: offset, "utilization") {
            window.utilization = HeaderName.decimal(value).flatMap { $0 >= 0 ? min($0, 1) : nil }
        } else if HeaderName.suffixEquals(name, from: offset, "reset") {
            window.resetAt = epoch(value)
        } else if HeaderName.suffixEquals(name, from: offset, "status") {
            window.status = status(value)
        }
    }

    /// `x-codex-{primary,secondary}-{used-percent,window-minutes,reset-at,reset-after-seconds}`;
    /// named families (`x-codex-<name>-primary-…`) and plan/credit headers are ignored.
    private static func recordCodex(
        name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>, into codex: inout CodexLimits, now: Date
    ) {
        let offset: Int
        let isPrimary: Bool
        if HeaderName.equals(name, 8..<16, "primary-") {
            offset = 16
            isPrimary = true
        } else if name.count > 18 && HeaderName.equals(name, 8..<18, "secondary-") {
            offset = 18
            isPrimary = false
        } else {
            return
        }
        var window = isPrimary ? codex.primary : codex.secondary
        if HeaderName.suffixEquals(name, from: offset, "used-percent") {
            window.usedPercent = HeaderName.decimal(value).flatMap { $0 >= 0 ? $0 : nil }
        } else if HeaderName.suffixEquals(name, from: offset, "window-minutes") {
            window.windowMinutes = HeaderName.decimal(value).flatMap { $0 > 0 ? $0 : nil }
        } else if HeaderName.suffixEquals(name, from: offset, "reset-at") {
            window.resetAt = epoch(value)
        } else if HeaderName.suffixEquals(name, from: offset, "reset-after-seconds") {
            window.resetAfter = HeaderName.decimal(value).flatMap {
                $0 >= 0 && $0 <= GoDuration.maximumSeconds ? now.addingTimeInterval($0) : nil
            }
        } else {
            return
        }
        if isPrimary { codex.primary = window } else { codex.secondary = window }
    }

    private static func status(_ value: UnsafeBufferPointer<UInt8>) -> UnifiedLimits.Status? {
        if HeaderName.equals(value, "allowed") { return .allowed }
        if HeaderName.equals(value, "allowed_warning") { return .allowedWarning }
        if HeaderName.equals(value, "rejected") { return .rejected }
        return nil
    }

    /// A subscription reset: Unix seconds (milliseconds when above 1e11), else RFC 3339.
    static func epoch(_ value: UnsafeBufferPointer<UInt8>) -> Date? {
        if let number = HeaderName.decimal(value) {
            guard number > 0 else { return nil }
            let seconds = number > 1e11 ? number / 1000 : number
            return seconds < 1e11 ? Date(timeIntervalSince1970: seconds) : nil
        }
        guard value.count >= 10, value.count <= 40 else { return nil }
        return RFC3339.parse(bytes: value) ?? Timestamp.parse(String(decoding: value, as: UTF8.self))
    }

    /// A reset value: a Go duration or bare seconds (relative to `now`), or an RFC 3339 timestamp.
    public static func parseReset(_ value: String, now: Date) -> Date? {
        HeaderName.withBytes(value) { parseReset(bytes: HeaderName.trimmed($0), now: now) } ?? nil
    }

    static func parseReset(bytes: UnsafeBufferPointer<UInt8>, now: Date) -> Date? {
        if let seconds = GoDuration.parse(bytes: bytes) {
            return now.addingTimeInterval(seconds)
        }
        guard bytes.count >= 10, bytes.count <= 40 else { return nil }
        return RFC3339.parse(bytes: bytes) ?? Timestamp.parse(String(decoding: bytes, as: UTF8.self))
    }

    private enum Kind { case limit, remaining, reset }
    private enum Unit { case requests, tokens, inputTokens, outputTokens }

    private struct Field {
        var style: RateLimitObservation.Style
        var kind: Kind
        var unit: Unit
    }

    /// `x-ratelimit-{kind}-{unit}` or `anthropic-ratelimit-{unit}-{kind}` (Anthropic units may hold a
    /// dash: `input-tokens`), any case.
    private static func field(named bytes: UnsafeBufferPointer<UInt8>) -> Field? {
        let style: RateLimitObservation.Style
        let kindRange: Range<Int>
        let unitRange: Range<Int>
        if HeaderName.hasPrefix(bytes, "x-ratelimit-") {
            style = .openAI
            guard let dash = bytes[12...].firstIndex(of: 0x2D) else { return nil }
            kindRange = 12..<dash
            unitRange = (dash + 1)..<bytes.count
        } else if HeaderName.hasPrefix(bytes, "anthropic-ratelimit-") {
            style = .anthropic
            guard let dash = bytes[20...].lastIndex(of: 0x2D), dash > 20 else { return nil }
            unitRange = 20..<dash
            kindRange = (dash + 1)..<bytes.count
        } else {
            return nil
        }
        let kind: Kind
        if HeaderName.equals(bytes, kindRange, "limit") {
            kind = .limit
        } else if HeaderName.equals(bytes, kindRange, "remaining") {
            kind = .remaining
        } else if HeaderName.equals(bytes, kindRange, "reset") {
            kind = .reset
        } else {
            return nil
        }
        let unit: Unit
        if HeaderName.equals(bytes, unitRange, "requests") {
            unit = .requests
        } else if HeaderName.equals(bytes, unitRange, "tokens") {
            unit = .tokens
        } else if style == .anthropic && HeaderName.equals(bytes, unitRange, "input-tokens") {
            unit = .inputTokens
        } else if style == .anthropic && HeaderName.equals(bytes, unitRange, "output-tokens") {
            unit = .outputTokens
        } else {
            return nil
        }
        return Field(style: style, kind: kind, unit: unit)
    }
}
