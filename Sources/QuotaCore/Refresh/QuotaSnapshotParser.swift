import Foundation

/// Turns the raw answer of a quota source (SPEC 2.5) into `[ModelQuota]`, or a
/// ``QuotaSnapshotError`` naming the field at fault. Never crashes, never returns partial figures:
/// one bad model entry rejects the whole answer, so the stored quota stays as it was.
///
/// Formats:
/// - **antigravity** (`POST {url}/v1internal:fetchAvailableModels`):
///   `{"models":{"<name>":{"quotaInfo":{"remainingFraction":0.8,"resetTime":"2026-11-22T18:00:00Z"}}}}`.
///   percentage = remainingFraction × 100. A model without `quotaInfo` (or with `null`) is skipped
///   (the endpoint lists models that carry no quota). A `quotaInfo` **without** `remainingFraction`
///   means 0%: the endpoint omits the field for an exhausted model, and the seed product reads it as
///   0 (`remaining_fraction.unwrap_or(0)`). `remainingFraction` must be within 0…1. A missing, null
///   or empty `resetTime` means unknown. Unlike the seed, models are not filtered by name.
/// - **quota_url** (generic): `{"models":[{"name":"m","percentage":80,"reset_time":"..."}]}`, or
///   `"remaining_fraction":0.8` instead of `percentage`. Each entry needs one of the two; when both
///   are present both are validated and `percentage` is used. `reset_time` may be an RFC 3339
///   string, unix seconds, null or absent. `percentage` must be within 0…100.
///
/// Percentages computed from fractions are rounded to 6 decimals, so `0.07` gives `7`, not
/// `7.000000000000001`. Unknown extra fields are ignored. The result is sorted by model name.
public enum QuotaSnapshotParser {
    /// Parses an answer of the given source kind.
    public static func parse(_ data: Data, kind: QuotaSource.Kind) -> Result<[ModelQuota], QuotaSnapshotError> {
        switch kind {
        case .antigravity: parseAntigravity(data)
        case .quotaURL: parseQuotaURL(data)
        case .headers, .anthropicUsage, .codexUsage: .failure(.unsupportedSource(kind))
        }
    }

    /// Parses an answer of a polled source into windows (SPEC 2.6): the per-model figures of
    /// `antigravity` and `quota_url` as model-scope `quota` windows of unknown length, the
    /// usage endpoints through ``UsageSnapshotParser``. Resets are clamped to
    /// `maxResetHintSeconds` from `now`.
    public static func parseWindows(
        _ data: Data, kind: QuotaSource.Kind, now: Date, maxResetHintSeconds: Int = QuotaWindows.defaultMaxResetHintSeconds
    ) -> Result<[QuotaWindow], QuotaSnapshotError> {
        switch kind {
        case .anthropicUsage:
            return UsageSnapshotParser.parseAnthropic(data, now: now, maxResetHintSeconds: maxResetHintSeconds)
        case .codexUsage:
            return UsageSnapshotParser.parseCodex(data, now: now, maxResetHintSeconds: maxResetHintSeconds)
        case .headers, .antigravity, .quotaURL:
            return parse(data, kind: kind).map { models in
                models.map {
                    QuotaWindow(
                        kind: .quota, scope: .model, model: $0.name, windowSeconds: nil, percentage: $0.percentage,
                        resetTime: QuotaWindows.clampedReset($0.resetTime, now: now, maxResetHintSeconds: maxResetHintSeconds),
                        source: QuotaWindow.Source(kind), observedAt: now)
                }
            }
        }
    }

    /// The `deprecatedModelIds` of a `fetchAvailableModels` answer: old model name → the name that
    /// replaces it (`{"old":{"newModelId":"new"}}`, or a plain string). Anything else is ignored:
    /// renames are a convenience, never a reason to reject the figures.
    public static func parseModelRenames(_ data: Data) -> [String: String] {
        guard let root = try? document(data), case .object(let entries)? = root["deprecatedModelIds"] else { return [:] }
        var renames: [String: String] = [:]
        for (old, value) in entries where !old.isEmpty && old.utf8.count <= 256 {
            let new: String?
            switch value {
            case .string(let text): new = text
            case .object(let object): new = object["newModelId"]?.stringValue
            default: new = nil
            }
            if let new, !new.isEmpty, new.utf8.count <= 256, new != old { renames[old] = new }
        }
        return renames
    }

    /// Parses a `fetchAvailableModels` answer.
    public static func parseAntigravity(_ data: Data) -> Result<[ModelQuota], QuotaSnapshotError> {
        Result { () throws(QuotaSnapshotError) -> [ModelQuota] in
            let root = try document(data)
            let models = try object(root["models"], path: "models", required: true) ?? [:]
            var result: [ModelQuota] = []
            for name in models.keys.sorted() {
                let path = "models.\(name)"
                guard !name.isEmpty else { throw .emptyModelName(path: "models") }
                guard let entry = try object(models[name], path: path, required: true),
                    let info = try object(entry["quotaInfo"], path: "\(path).quotaInfo", required: false)
                else { continue }
                let fractionPath = "\(path).quotaInfo.remainingFraction"
                let fraction = try number(info["remainingFraction"], path: fractionPath, in: 0...1) ?? 0
                let reset = try time(info["resetTime"], path: "\(path).quotaInfo.resetTime")
                result.append(ModelQuota(name: name, percentage: percentage(fraction: fraction), resetTime: reset))
            }
            return result
        }
    }

    /// Parses a generic `quota_url` answer.
    public static func parseQuotaURL(_ data: Data) -> Result<[ModelQuota], QuotaSnapshotError> {
        Result { () throws(QuotaSnapshotError) -> [ModelQuota] in
            let root = try document(data)
            guard let value = root["models"], value != .null else { throw .missingField(path: "models") }
            guard case .array(let entries) = value else {
                throw .wrongType(path: "models", expected: "a list", got: value.kindDescription)
            }
            var result: [ModelQuota] = []
            var seen: Set<String> = []
            for (index, element) in entries.enumerated() {
                let path = "models[\(index)]"
                guard let entry = try object(element, path: path, required: true) else { continue }
                guard let nameValue = entry["name"], nameValue != .null else { throw .missingField(path: "\(path).name") }
                guard case .string(let name) = nameValue else {
                    throw .wrongType(path: "\(path).name", expected: "a string", got: nameValue.kindDescription)
                }
                guard !name.isEmpty else { throw .emptyModelName(path: "\(path).name") }
                guard seen.insert(name).inserted else { throw .duplicateModel(path: "\(path).name", name: name) }
                let direct = try number(entry["percentage"], path: "\(path).percentage", in: 0...100)
                let fraction = try number(entry["remaining_fraction"], path: "\(path).remaining_fraction", in: 0...1)
                guard let value = direct ?? fraction.map(percentage(fraction:)) else {
                    throw .missingField(path: "\(path).percentage")
                }
                let reset = try time(entry["reset_time"], path: "\(path).reset_time")
                result.append(ModelQuota(name: name, percentage: value, resetTime: reset))
            }
            return result.sorted { $0.name < $1.name }
        }
    }

    // MARK: - Helpers

    static func percentage(fraction: Double) -> Double {
        (fraction * 100 * 1_000_000).rounded() / 1_000_000
    }

    static func document(_ data: Data) throws(QuotaSnapshotError) -> [String: JSONValue] {
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw .notJSON(bodySize: data.count)
        }
        guard case .object(let root) = value else {
            throw .wrongType(path: "(answer)", expected: "a JSON object", got: value.kindDescription)
        }
        return root
    }

    /// An object field; `nil` when absent/null and not required.
    static func object(_ value: JSONValue?, path: String, required: Bool) throws(QuotaSnapshotError)
        -> [String: JSONValue]?
    {
        guard let value, value != .null else {
            if required { throw .missingField(path: path) }
            return nil
        }
        guard case .object(let object) = value else {
            throw .wrongType(path: path, expected: "an object", got: value.kindDescription)
        }
        return object
    }

    /// An optional number within `range` (a tolerance of 1e-9 absorbs float noise, then clamps).
    static func number(_ value: JSONValue?, path: String, in range: ClosedRange<Double>)
        throws(QuotaSnapshotError) -> Double?
    {
        guard let value, value != .null else { return nil }
        guard case .number(let number) = value else {
            throw .wrongType(path: path, expected: "a number", got: value.kindDescription)
        }
        let tolerance = 1e-9 * max(1, range.upperBound)
        guard number.isFinite, number >= range.lowerBound - tolerance, number <= range.upperBound + tolerance else {
            throw .outOfRange(path: path, value: number, range: range)
        }
        return min(range.upperBound, max(range.lowerBound, number))
    }

    /// An optional reset time: RFC 3339 string or unix seconds; null, absent or `""` is unknown.
    static func time(_ value: JSONValue?, path: String) throws(QuotaSnapshotError) -> Date? {
        guard let value, value != .null else { return nil }
        switch value {
        case .string(let text):
            if text.isEmpty { return nil }
            guard let date = Timestamp.parse(text) else { throw .invalidTime(path: path, value: text) }
            return date
        case .number(let seconds) where seconds.isFinite && seconds >= 0:
            return Date(timeIntervalSince1970: seconds)
        default:
            throw .wrongType(path: path, expected: "an RFC 3339 time or unix seconds", got: value.kindDescription)
        }
    }
}
