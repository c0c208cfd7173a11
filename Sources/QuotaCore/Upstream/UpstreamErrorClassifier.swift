import Foundation

/// Classifies an upstream answer into an ``UpstreamOutcome`` from its status, headers and the first
/// bytes of its body.
///
/// Cheap on purpose: bodies are only inspected for 4xx answers, only their first
/// ``bodyPrefixLimit`` bytes, with an ASCII case-insensitive substring search (no JSON decoding).
public enum UpstreamErrorClassifier {
    /// How much of a body is inspected.
    public static let bodyPrefixLimit = 8192

    /// Lowercased phrases that mark an answer as "quota exhausted" rather than "rate limited" or
    /// "bad request".
    public static let quotaMarkers: [String] = [
        "no remaining quota",  // seed 000: "No remaining quota: No AI requests remaining"
        "insufficient_quota",  // OpenAI
        "exceeded your current quota",  // OpenAI's message for insufficient_quota
        "quota exceeded",
        "quota_exceeded",
        "resource_exhausted",  // Google
        "credit balance is too low",  // Anthropic (400)
        "billing_hard_limit_reached",
    ]

    /// Classifies a complete answer head plus the start of its body.
    ///
    /// - Parameters:
    ///   - status: the HTTP status code.
    ///   - headers: the answer headers (e.g. NIO's `HTTPHeaders`); only read for 402, 429 and
    ///     quota answers.
    ///   - body: the body or its first bytes; only the first ``bodyPrefixLimit`` are read, and only
    ///     for 4xx statuses other than 401 and for 503.
    ///   - now: the current time, for relative `Retry-After` and reset values.
    ///   - maxResetHintSeconds: resets further away are clamped to this (`routing.max_reset_hint_seconds`).
    @inlinable
    public static func classify(
        status: Int,
        headers: some Sequence<(name: String, value: String)>,
        body: some Collection<UInt8>,
        now: Date,
        maxResetHintSeconds: Int = QuotaWindows.defaultMaxResetHintSeconds
    ) -> UpstreamOutcome {
        assess(status: status, headers: headers, body: body, now: now, maxResetHintSeconds: maxResetHintSeconds).outcome
    }

    /// ``classify(status:headers:body:now:maxResetHintSeconds:)`` with the limit signals behind
    /// the class (SPEC 2.6):
    /// - a known error body decides first: `usage_limit_reached` and `QUOTA_EXHAUSTED` are quota
    ///   exhaustion, `RATE_LIMIT_EXCEEDED` a rate limit (paced), `MODEL_CAPACITY_EXHAUSTED` a
    ///   service error;
    /// - a 429 whose subscription headers show a rejected or fully used quota window is quota
    ///   exhaustion until that window's reset;
    /// - a 429 whose per-minute headers show a window at 0 is a rate limit, paced until its reset;
    /// - otherwise as before: quota markers in the body, 402, 429, 401/403, other 4xx, 5xx.
    /// Every reset is clamped to `maxResetHintSeconds` from `now`.
    @inlinable
    public static func assess(
        status: Int,
        headers: some Sequence<(name: String, value: String)>,
        body: some Collection<UInt8>,
        now: Date,
        maxResetHintSeconds: Int = QuotaWindows.defaultMaxResetHintSeconds
    ) -> UpstreamVerdict {
        let kind = StatusKind(status)
        let readsBody = kind.inspectsBody || status == 503
        let signal = readsBody ? bodySignal(body, now: now) : nil
        let quotaBody = kind.inspectsBody && bodyIndicatesQuotaExhaustion(body)
        var limits = RateLimitObservation()
        var retryAfter: Date?
        if quotaBody || signal != nil || kind == .tooManyRequests || kind == .paymentRequired {
            var sawRetryAfter = false
            for header in headers {
                if !sawRetryAfter && RetryAfter.isRetryAfter(header.name) {
                    sawRetryAfter = true
                    retryAfter = RetryAfter.parse(header.value, now: now)
                } else {
                    RateLimitHeaders.record(name: header.name, value: header.value, into: &limits, now: now)
                }
            }
        }
        var verdict = decide(
            kind, quotaBody: quotaBody, signal: signal, limits: limits, retryAfter: retryAfter, now: now,
            maxResetHintSeconds: maxResetHintSeconds)
        verdict.bodySignal = signal
        return verdict
    }

    /// The body's limit signal, from contiguous bytes or a copy of the first ``bodyPrefixLimit``.
    @inlinable
    static func bodySignal(_ body: some Collection<UInt8>, now: Date) -> ErrorBodySignal? {
        guard !body.isEmpty else { return nil }
        if let found = body.withContiguousStorageIfAvailable({
            ErrorBodySignal.parse(UnsafeBufferPointer(rebasing: $0.prefix(bodyPrefixLimit)), now: now)
        }) {
            return found
        }
        return Array(body.prefix(bodyPrefixLimit)).withUnsafeBufferPointer { ErrorBodySignal.parse($0, now: now) }
    }

    /// Classifies an answer without a body (or when the body is not available).
    @inlinable
    public static func classify(
        status: Int,
        headers: some Sequence<(name: String, value: String)>,
        now: Date
    ) -> UpstreamOutcome {
        classify(status: status, headers: headers, body: EmptyCollection<UInt8>(), now: now)
    }

    /// A failure below HTTP (connection reset, timeout…) is always a service error.
    public static func classify(_ failure: TransportFailure) -> UpstreamOutcome {
        .serviceError
    }

    /// Whether the first ``bodyPrefixLimit`` bytes of `body` contain one of ``quotaMarkers``
    /// (ASCII case-insensitive).
    @inlinable
    public static func bodyIndicatesQuotaExhaustion(_ body: some Collection<UInt8>) -> Bool {
        if let found = body.withContiguousStorageIfAvailable({
            containsQuotaMarker(UnsafeBufferPointer(rebasing: $0.prefix(bodyPrefixLimit)))
        }) {
            return found
        }
        return Array(body.prefix(bodyPrefixLimit)).withUnsafeBufferPointer(containsQuotaMarker)
    }

    /// What a status alone says.
    @usableFromInline
    enum StatusKind: Sendable {
        case success, unauthorized, paymentRequired, forbidden, tooManyRequests, otherClientError, serviceError

        @usableFromInline
        init(_ status: Int) {
            switch status {
            case 200...299: self = .success
            case 401: self = .unauthorized
            case 402: self = .paymentRequired
            case 403: self = .forbidden
            case 408: self = .serviceError
            case 429: self = .tooManyRequests
            case 400...499: self = .otherClientError
            // 5xx, and anything an API endpoint has no business answering (1xx, 3xx, nonsense).
            default: self = .serviceError
            }
        }

        /// Statuses whose body may turn them into quota exhaustion.
        @usableFromInline
        var inspectsBody: Bool {
            self == .forbidden || self == .tooManyRequests || self == .otherClientError
        }
    }

    @usableFromInline
    static func decide(
        _ kind: StatusKind, quotaBody: Bool, signal: ErrorBodySignal?, limits: RateLimitObservation, retryAfter: Date?,
        now: Date, maxResetHintSeconds: Int
    ) -> UpstreamVerdict {
        func clamp(_ date: Date?) -> Date? {
            QuotaWindows.clampedReset(date, now: now, maxResetHintSeconds: maxResetHintSeconds)
        }
        if kind == .success { return UpstreamVerdict(outcome: .success) }
        if let signal, kind != .unauthorized {
            switch signal.kind {
            case .capacity:
                return UpstreamVerdict(outcome: .serviceError)
            case .quotaExhausted where kind != .serviceError:
                return UpstreamVerdict(outcome: .quotaExhausted(resetAt: clamp(signal.resetAt ?? limits.limitLiftsAt ?? retryAfter)))
            case .rateLimited where kind != .serviceError:
                return UpstreamVerdict(outcome: .rateLimited(until: clamp(signal.resetAt ?? retryAfter ?? limits.limitLiftsAt)), paces: true)
            default:
                break
            }
        }
        // Exhausted quota resets when the rate-limit headers say, else when Retry-After says.
        if quotaBody || kind == .paymentRequired {
            return UpstreamVerdict(outcome: .quotaExhausted(resetAt: clamp(limits.limitLiftsAt ?? retryAfter)))
        }
        switch kind {
        case .success: return UpstreamVerdict(outcome: .success)
        // 403 carrying a quota message (some Google-style APIs) was exhaustion, above.
        case .unauthorized, .forbidden: return UpstreamVerdict(outcome: .authFailure)
        case .tooManyRequests:
            let exhausted = limits.exhaustedQuotaWindows(now: now, maxResetHintSeconds: maxResetHintSeconds)
            if !exhausted.isEmpty {
                let reset = exhausted.compactMap(\.resetTime).max()
                return UpstreamVerdict(outcome: .quotaExhausted(resetAt: clamp(reset ?? retryAfter)))
            }
            let paces = [limits.requests, limits.tokens, limits.inputTokens, limits.outputTokens].contains(where: \.isExhausted)
            return UpstreamVerdict(outcome: .rateLimited(until: clamp(retryAfter ?? limits.limitLiftsAt)), paces: paces)
        case .otherClientError: return UpstreamVerdict(outcome: .clientError)
        case .serviceError, .paymentRequired: return UpstreamVerdict(outcome: .serviceError)
        }
    }

    private static let markerBytes: [[UInt8]] = quotaMarkers.map { Array($0.utf8) }
    /// Each marker's first three bytes as `b0 << 16 | b1 << 8 | b2`, to compare a rolling window.
    private static let markerTrigrams: [UInt32] = markerBytes.map {
        UInt32($0[0]) << 16 | UInt32($0[1]) << 8 | UInt32($0[2])
    }

    /// A 4096-bit filter of the trigrams: one load and test per body byte.
    private static let trigramFilter: [UInt64] = {
        var filter = [UInt64](repeating: 0, count: 64)
        for trigram in markerTrigrams {
            let bit = filterBit(trigram)
            filter[bit >> 6] |= 1 << UInt64(bit & 63)
        }
        return filter
    }()

    @inline(__always)
    private static func filterBit(_ trigram: UInt32) -> Int {
        Int((trigram &* 2_654_435_761) >> 20) & 4095
    }

    /// A rolling window over the lowercased bytes; a full comparison only where the window equals
    /// a marker's first three bytes (rare in ordinary error text), found through a bit filter.
    @usableFromInline
    static func containsQuotaMarker(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let filter = trigramFilter
        let trigrams = markerTrigrams
        let markers = markerBytes
        let count = bytes.count
        var window: UInt32 = 0
        var position = 0
        while position < count {
            window = (window << 8 | UInt32(HeaderName.lower(bytes[position]))) & 0xFF_FFFF
            position += 1
            let bit = filterBit(window)
            guard filter[bit >> 6] & (1 << UInt64(bit & 63)) != 0, position >= 3, trigrams.contains(window) else {
                continue
            }
            let start = position - 3
            for (marker, trigram) in zip(markers, trigrams) where trigram == window && marker.count <= count - start {
                var offset = 3
                while offset < marker.count, HeaderName.lower(bytes[start + offset]) == marker[offset] {
                    offset += 1
                }
                if offset == marker.count { return true }
            }
        }
        return false
    }
}
