import Foundation

/// Reads upstream rate-limit headers into a ``RateLimitObservation``.
///
/// - OpenAI style: `x-ratelimit-limit-requests`, `x-ratelimit-remaining-requests`,
///   `x-ratelimit-reset-requests` (a Go duration such as `6m0s`, or seconds), and the `-tokens` trio.
/// - Anthropic style: `anthropic-ratelimit-requests-limit`, `-remaining`, `-reset` (RFC 3339), and the
///   `tokens` trio.
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
    /// headers that are not rate-limit headers cost a length check and a prefix compare).
    public static func record(
        name: UnsafeBufferPointer<UInt8>, value raw: UnsafeBufferPointer<UInt8>, into observation: inout RateLimitObservation,
        now: Date
    ) {
        guard let field = field(named: name) else { return }
        observation.style = observation.style ?? field.style
        let bytes = HeaderName.trimmed(raw)
        switch field.kind {
        case .limit:
            let number = HeaderName.decimal(bytes).flatMap { $0 > 0 ? $0 : nil }
            if field.isTokens { observation.tokens.limit = number } else { observation.requests.limit = number }
        case .remaining:
            let number = HeaderName.decimal(bytes).flatMap { $0 >= 0 ? $0 : nil }
            if field.isTokens { observation.tokens.remaining = number } else { observation.requests.remaining = number }
        case .reset:
            let date = parseReset(bytes: bytes, now: now)
            if field.isTokens { observation.tokens.resetAt = date } else { observation.requests.resetAt = date }
        }
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

    private struct Field {
        var style: RateLimitObservation.Style
        var kind: Kind
        var isTokens: Bool
    }

    /// `x-ratelimit-{kind}-{unit}` or `anthropic-ratelimit-{unit}-{kind}`, any case.
    private static func field(named bytes: UnsafeBufferPointer<UInt8>) -> Field? {
        // Cheap reject first: most headers are not rate-limit headers.
        guard bytes.count >= 24 else { return nil }
        let style: RateLimitObservation.Style
        let rest: Int
        if HeaderName.hasPrefix(bytes, "x-ratelimit-") {
            style = .openAI
            rest = 12
        } else if HeaderName.hasPrefix(bytes, "anthropic-ratelimit-") {
            style = .anthropic
            rest = 20
        } else {
            return nil
        }
        guard let dash = bytes[rest...].firstIndex(of: 0x2D) else { return nil }
        let first = rest..<dash
        let second = (dash + 1)..<bytes.count
        let kindRange = style == .openAI ? first : second
        let unitRange = style == .openAI ? second : first
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
        if HeaderName.equals(bytes, unitRange, "requests") {
            return Field(style: style, kind: kind, isTokens: false)
        }
        if HeaderName.equals(bytes, unitRange, "tokens") {
            return Field(style: style, kind: kind, isTokens: true)
        }
        return nil
    }
}
