import Foundation

/// Turns the answers of the subscription usage endpoints (SPEC 2.6) into account-scope windows, or
/// a ``QuotaSnapshotError`` naming the field at fault.
///
/// - **anthropic_usage** (`GET {url}/api/oauth/usage`):
///   `{"five_hour":{"utilization":24.0,"resets_at":"2026-01-02T19:59:59.600956+00:00"},"seven_day":{…}}`.
///   `utilization` is a percent (0–100, unlike the 0–1 headers); percentage = 100 − utilization.
///   `five_hour` → 18000 s, `seven_day` → 604800 s; a window that is absent or `null` (an idle
///   account whose window has not started) gives none, a missing `resets_at` an unknown reset.
///   Per-family windows (`seven_day_sonnet`, `seven_day_opus`, …) name no model id and are skipped.
/// - **codex_usage** (`GET {url}/backend-api/wham/usage`):
///   `{"rate_limit":{"primary_window":{"used_percent":12,"limit_window_seconds":18000,"reset_after_seconds":600,"reset_at":1795350000},"secondary_window":{…}}}`.
///   Each window's kind follows `limit_window_seconds` (never "primary means 5 hours");
///   percentage = 100 − `used_percent`; reset `reset_at` (Unix seconds), else now + `reset_after_seconds`.
public enum UsageSnapshotParser {
    /// Parses a Claude `/api/oauth/usage` answer.
    public static func parseAnthropic(_ data: Data, now: Date, maxResetHintSeconds: Int = QuotaWindows.defaultMaxResetHintSeconds)
        -> Result<[QuotaWindow], QuotaSnapshotError>
    {
        Result { () throws(QuotaSnapshotError) -> [QuotaWindow] in
            let root = try QuotaSnapshotParser.document(data)
            var result: [QuotaWindow] = []
            for (key, seconds) in [("five_hour", 18_000), ("seven_day", 604_800)] {
                guard let window = try QuotaSnapshotParser.object(root[key], path: key, required: false) else { continue }
                guard let used = try QuotaSnapshotParser.number(window["utilization"], path: "\(key).utilization", in: 0...100)
                else { continue }
                let reset = try QuotaSnapshotParser.time(window["resets_at"], path: "\(key).resets_at")
                result.append(
                    QuotaWindow(
                        kind: .quota, scope: .account, windowSeconds: seconds, percentage: 100 - used,
                        resetTime: QuotaWindows.clampedReset(reset, now: now, maxResetHintSeconds: maxResetHintSeconds),
                        source: .anthropicUsage, observedAt: now))
            }
            return result
        }
    }

    /// Parses a Codex `/backend-api/wham/usage` answer.
    public static func parseCodex(_ data: Data, now: Date, maxResetHintSeconds: Int = QuotaWindows.defaultMaxResetHintSeconds)
        -> Result<[QuotaWindow], QuotaSnapshotError>
    {
        Result { () throws(QuotaSnapshotError) -> [QuotaWindow] in
            let root = try QuotaSnapshotParser.document(data)
            guard let limits = try QuotaSnapshotParser.object(root["rate_limit"], path: "rate_limit", required: false) else {
                return []
            }
            var result: [QuotaWindow] = []
            for key in ["primary_window", "secondary_window"] {
                let path = "rate_limit.\(key)"
                guard let window = try QuotaSnapshotParser.object(limits[key], path: path, required: false) else { continue }
                guard let used = try QuotaSnapshotParser.number(window["used_percent"], path: "\(path).used_percent", in: 0...100)
                else { throw .missingField(path: "\(path).used_percent") }
                guard
                    let length = try QuotaSnapshotParser.number(
                        window["limit_window_seconds"], path: "\(path).limit_window_seconds", in: 1...31_536_000)
                else { throw .missingField(path: "\(path).limit_window_seconds") }
                var reset = try QuotaSnapshotParser.time(window["reset_at"], path: "\(path).reset_at")
                if reset == nil,
                    let after = try QuotaSnapshotParser.number(
                        window["reset_after_seconds"], path: "\(path).reset_after_seconds", in: 0...31_536_000)
                {
                    reset = now.addingTimeInterval(after)
                }
                result.append(
                    QuotaWindow.classified(
                        scope: .account, windowSeconds: Int(length.rounded()), percentage: 100 - used,
                        resetTime: QuotaWindows.clampedReset(reset, now: now, maxResetHintSeconds: maxResetHintSeconds),
                        source: .codexUsage, observedAt: now))
            }
            return result
        }
    }
}
