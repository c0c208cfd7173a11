import Foundation

/// What the body of a limit error says (SPEC 2.6), read only from error answers whose first bytes
/// name one of the known shapes:
/// - OpenAI/Codex `{"error":{"type":"usage_limit_reached","resets_at":<unix s>}}` or
///   `"resets_in_seconds"`: the account's quota is used up until then (account scope);
/// - Google `{"error":{"status":"RESOURCE_EXHAUSTED","details":[…]}}`: every entry of `details` is
///   read (not only the first). `google.rpc.ErrorInfo` `reason` `QUOTA_EXHAUSTED` is quota,
///   `RATE_LIMIT_EXCEEDED` a rate limit, `MODEL_CAPACITY_EXHAUSTED` a service error; the reset
///   comes from `google.rpc.RetryInfo.retryDelay`, else `metadata.quotaResetDelay`, else
///   `metadata.quotaResetTimeStamp`. The public Gemini API sends no `ErrorInfo` but
///   `google.rpc.QuotaFailure` `violations[].quotaId` (`…PerDay…` is quota, `…PerMinute…` a rate
///   limit). Without either, a delay under an hour is a rate limit, any other is quota. Code
///   Assist streams wrap the error in an array (`[{"error":…}]`): read as well;
/// - `{"error":{"status":"UNAVAILABLE"}}` with `MODEL_CAPACITY_EXHAUSTED`: a service error.
public struct ErrorBodySignal: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        /// Quota used up: a `quota` window at 0 until ``ErrorBodySignal/resetAt``.
        case quotaExhausted
        /// A rate limit: a `rate_limit` window at 0 until ``ErrorBodySignal/resetAt``.
        case rateLimited
        /// The upstream has no capacity for the model: try the next account, no window.
        case capacity
    }

    public var kind: Kind
    public var scope: QuotaWindow.Scope
    public var resetAt: Date?

    public init(kind: Kind, scope: QuotaWindow.Scope, resetAt: Date?) {
        self.kind = kind
        self.scope = scope
        self.resetAt = resetAt
    }

    /// The window this signal stands for (for `model` when model scope); `nil` for capacity.
    public func window(model: String, now: Date, maxResetHintSeconds: Int = QuotaWindows.defaultMaxResetHintSeconds)
        -> QuotaWindow?
    {
        guard kind != .capacity else { return nil }
        return QuotaWindow(
            kind: kind == .quotaExhausted ? .quota : .rateLimit, scope: scope, model: model, windowSeconds: nil,
            percentage: 0, resetTime: QuotaWindows.clampedReset(resetAt, now: now, maxResetHintSeconds: maxResetHintSeconds),
            source: .errorBody, observedAt: now)
    }

    /// Reads the signal from (the first ``UpstreamErrorClassifier/bodyPrefixLimit`` bytes of) an
    /// error body; `nil` when it is none of the known shapes. JSON is decoded only when the bytes
    /// contain `usage_limit_reached`, `resource_exhausted` or `model_capacity_exhausted`.
    public static func parse(_ body: UnsafeBufferPointer<UInt8>, now: Date) -> ErrorBodySignal? {
        let bytes = UnsafeBufferPointer(rebasing: body.prefix(UpstreamErrorClassifier.bodyPrefixLimit))
        guard contains(bytes, "usage_limit_reached") || contains(bytes, "resource_exhausted")
            || contains(bytes, "model_capacity_exhausted")
        else { return nil }
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes)),
            let error = (value.objectValue ?? value.arrayValue?.first?.objectValue)?["error"]?.objectValue
        else { return nil }
        if error["type"]?.stringValue == "usage_limit_reached" {
            var reset: Date?
            if let at = seconds(error["resets_at"]) {
                reset = Date(timeIntervalSince1970: at)
            } else if let after = seconds(error["resets_in_seconds"]) {
                reset = now.addingTimeInterval(after)
            }
            return ErrorBodySignal(kind: .quotaExhausted, scope: .account, resetAt: reset)
        }
        let status = error["status"]?.stringValue
        var reason: String?
        var retryDelay: TimeInterval?
        var quotaResetDelay: TimeInterval?
        var quotaResetTime: Date?
        var quotaIDs: [String] = []
        for detail in error["details"]?.arrayValue ?? [] {
            guard let entry = detail.objectValue, let type = entry["@type"]?.stringValue else { continue }
            if type.hasSuffix("google.rpc.ErrorInfo") {
                reason = reason ?? entry["reason"]?.stringValue
                if let metadata = entry["metadata"]?.objectValue {
                    quotaResetDelay = quotaResetDelay ?? metadata["quotaResetDelay"]?.stringValue.flatMap(GoDuration.parse)
                    quotaResetTime = quotaResetTime ?? metadata["quotaResetTimeStamp"]?.stringValue.flatMap(Timestamp.parse)
                }
            } else if type.hasSuffix("google.rpc.RetryInfo") {
                retryDelay = retryDelay ?? entry["retryDelay"]?.stringValue.flatMap(GoDuration.parse)
            } else if type.hasSuffix("google.rpc.QuotaFailure") {
                for violation in entry["violations"]?.arrayValue ?? [] {
                    if let id = violation["quotaId"]?.stringValue { quotaIDs.append(id) }
                }
            }
        }
        if reason == "MODEL_CAPACITY_EXHAUSTED" {
            return ErrorBodySignal(kind: .capacity, scope: .model, resetAt: nil)
        }
        guard status == "RESOURCE_EXHAUSTED" else { return nil }
        let delay = retryDelay ?? quotaResetDelay
        let reset = delay.map { now.addingTimeInterval($0) } ?? quotaResetTime
        let kind: Kind
        switch reason {
        case "QUOTA_EXHAUSTED": kind = .quotaExhausted
        case "RATE_LIMIT_EXCEEDED": kind = .rateLimited
        case _ where quotaIDs.contains(where: { $0.contains("PerDay") }): kind = .quotaExhausted
        case _ where quotaIDs.contains(where: { $0.contains("PerMinute") }): kind = .rateLimited
        default:
            let distance = reset.map { $0.timeIntervalSince(now) }
            kind = distance.map { $0 < TimeInterval(QuotaWindow.quotaThresholdSeconds) } == true ? .rateLimited : .quotaExhausted
        }
        return ErrorBodySignal(kind: kind, scope: .model, resetAt: reset)
    }

    /// A non-negative number of seconds, as a JSON number or a numeric string.
    private static func seconds(_ value: JSONValue?) -> TimeInterval? {
        let number: Double?
        switch value {
        case .number(let value): number = value
        case .string(let text): number = Double(text)
        default: number = nil
        }
        guard let number, number.isFinite, number >= 0, number <= GoDuration.maximumSeconds * 10 else { return nil }
        return number
    }

    /// ASCII case-insensitive substring search (error bodies only, at most 8 KiB).
    static func contains(_ bytes: UnsafeBufferPointer<UInt8>, _ lowercased: StaticString) -> Bool {
        let count = lowercased.utf8CodeUnitCount
        guard bytes.count >= count else { return false }
        let first = lowercased.utf8Start[0]
        var index = 0
        while index <= bytes.count - count {
            if HeaderName.lower(bytes[index]) == first
                && HeaderName.equals(UnsafeBufferPointer(rebasing: bytes[index..<(index + count)]), lowercased)
            {
                return true
            }
            index += 1
        }
        return false
    }
}
