import Foundation
import QuotaCore
import QuotaState

/// How `quota-proxyctl requests` prints records: a table, one record in full, JSON.
enum RequestsOutput {
    /// One row per record: local time, id, model, account, status, duration, ttfb, tokens,
    /// attempts (count, with failure reasons abbreviated), error (truncated).
    static func table(_ records: [RequestRecord]) -> String {
        let rows = records.map { record in
            [
                TerminalOutput.localTime(record.time),
                record.id,
                record.model ?? "-",
                record.account ?? "-",
                String(record.status),
                milliseconds(record.durationMs),
                record.ttfbMs.map(milliseconds) ?? "-",
                tokens(record),
                attempts(record),
                truncated(record.error ?? "", to: 48),
            ]
        }
        return TerminalOutput.table(
            rows, header: ["TIME", "ID", "MODEL", "ACCOUNT", "STATUS", "DURATION", "TTFB", "TOKENS IN/OUT", "ATTEMPTS", "ERROR"])
    }

    /// `showing 50 of 1234 matching (newest first); use --limit 0 for all`, plus skipped lines.
    static func footer(_ page: RequestLogPage, limit: Int?) -> String? {
        var parts: [String] = []
        if let total = page.matchingCount, total > 0 {
            var line = "showing \(page.records.count) of \(total) matching (newest first)"
            if page.records.count < total { line += "; use --limit 0 for all" }
            parts.append(line)
        }
        if page.skippedLines > 0 {
            parts.append("\(page.skippedLines) unreadable line(s) skipped (torn by a crash or corrupt)")
        }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }

    /// Every field of one record, then its attempts as a small table, then its bodies if recorded.
    static func details(_ record: RequestRecord) -> String {
        var fields: [[String]] = [
            ["id", record.id],
            ["time", "\(TerminalOutput.localTime(record.time, withDate: true)) (\(RequestLogTime.format(record.time)))"],
            ["kind", record.kind.rawValue],
            ["client key", record.clientKey ?? "-"],
            ["protocol", record.upstreamProtocol.map { $0 == record.wireProtocol ? $0 : "\(record.wireProtocol) → \($0)" } ?? record.wireProtocol],
            ["route", record.route],
            ["model", record.model ?? "-"],
        ]
        if let mapped = record.mappedModel { fields.append(["mapped model", mapped]) }
        fields += [
            ["group", record.group ?? "-"],
            ["account", record.account ?? "- (no account answered)"],
            ["status", String(record.status)],
            ["duration", milliseconds(record.durationMs)],
            ["time to first byte", record.ttfbMs.map(milliseconds) ?? "-"],
            ["stream", record.stream ? "yes" : "no"],
            ["input tokens", record.inputTokens.map(String.init) ?? "-"],
            ["output tokens", record.outputTokens.map(String.init) ?? "-"],
            ["error", record.error ?? "-"],
        ]
        var output = TerminalOutput.table(fields.map { [$0[0] + ":", $0[1]] })
        output += "\nattempts:\n"
        if record.attempts.isEmpty {
            output += "  none (no account was tried)\n"
        } else {
            let rows = record.attempts.enumerated().map { index, attempt in
                [String(index + 1), attempt.account, attempt.outcome, attempt.status.map(String.init) ?? "-", milliseconds(attempt.durationMs)]
            }
            output += TerminalOutput.table(rows, header: ["#", "ACCOUNT", "OUTCOME", "STATUS", "DURATION"])
                .split(separator: "\n").map { "  " + $0 + "\n" }.joined()
        }
        if let body = record.requestBody { output += "\nrequest body:\n\(body)\n" }
        if let body = record.responseBody { output += "\nresponse body:\n\(body)\n" }
        return output
    }

    static func json(_ records: [RequestRecord]) throws -> String {
        String(decoding: try encoder.encode(records), as: UTF8.self)
    }

    static func json(_ record: RequestRecord) throws -> String {
        String(decoding: try encoder.encode(record), as: UTF8.self)
    }

    private static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// `850ms`, `1.25s`; one decimal below 100 ms (`12.5ms`).
    static func milliseconds(_ value: Double) -> String {
        if value >= 1000 { return String(format: "%.2fs", value / 1000) }
        if value < 100 { return String(format: "%.1fms", value) }
        return String(format: "%.0fms", value)
    }

    /// `25/310`, `25/-`, or `-`.
    static func tokens(_ record: RequestRecord) -> String {
        guard record.inputTokens != nil || record.outputTokens != nil else { return "-" }
        return "\(record.inputTokens.map(String.init) ?? "-")/\(record.outputTokens.map(String.init) ?? "-")"
    }

    /// `1`, or `3 (quota,rate)` listing the failed attempts' reasons.
    static func attempts(_ record: RequestRecord) -> String {
        let failures = record.attempts.filter { !$0.isSuccess }.map { abbreviation(of: $0.outcome) }
        let count = String(record.attempts.count)
        return failures.isEmpty ? count : "\(count) (\(failures.joined(separator: ",")))"
    }

    static func abbreviation(of outcome: String) -> String {
        switch outcome {
        case "quota_exhausted": "quota"
        case "rate_limited": "rate"
        case "unauthorized": "auth"
        case "server_error": "5xx"
        case "client_error": "4xx"
        case "connection_reset": "reset"
        case "timeout": "timeout"
        default: outcome
        }
    }

    static func truncated(_ text: String, to length: Int) -> String {
        let flat = text.replacingOccurrences(of: "\n", with: " ")
        return flat.count <= length ? flat : String(flat.prefix(length - 1)) + "…"
    }
}
