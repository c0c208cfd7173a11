import Foundation

/// Request records in the two export formats of `quota-proxyctl requests --export`.
public enum RequestLogExport {
    /// The columns of ``csv(_:)``, in order.
    public static let csvColumns = [
        "id", "time", "kind", "client_key", "client_protocol", "upstream_protocol", "route", "model", "mapped_model", "group", "account", "attempts",
        "status", "duration_ms", "ttfb_ms", "stream", "input_tokens", "output_tokens", "error",
    ]

    /// One compact JSON object per line (`\n`-terminated), the same schema as the log files.
    public static func jsonl(_ records: [RequestRecord]) -> String {
        var bytes: [UInt8] = []
        for record in records {
            record.appendJSON(to: &bytes)
            bytes.append(0x0A)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// CSV (RFC 4180: a header row, `\r\n` line ends, fields holding a comma, quote or line break
    /// quoted with inner quotes doubled). Bodies are not exported; `attempts` reads
    /// `acc-1:quota_exhausted;acc-2:ok`; absent values are empty fields.
    public static func csv(_ records: [RequestRecord]) -> String {
        var output = csvColumns.joined(separator: ",") + "\r\n"
        for record in records {
            output += csvRow(record).map(csvField).joined(separator: ",") + "\r\n"
        }
        return output
    }

    static func csvRow(_ record: RequestRecord) -> [String] {
        [
            record.id,
            RequestLogTime.format(record.time),
            record.kind.rawValue,
            record.clientKey ?? "",
            record.wireProtocol,
            record.upstreamProtocol ?? "",
            record.route,
            record.model ?? "",
            record.mappedModel ?? "",
            record.group ?? "",
            record.account ?? "",
            record.attempts.map { "\($0.account):\($0.outcome)" }.joined(separator: ";"),
            String(record.status),
            number(record.durationMs),
            record.ttfbMs.map(number) ?? "",
            record.stream ? "true" : "false",
            record.inputTokens.map(String.init) ?? "",
            record.outputTokens.map(String.init) ?? "",
            record.error ?? "",
        ]
    }

    /// A field, quoted when it holds a comma, a quote or a line break.
    static func csvField(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A duration in milliseconds as the JSON lines write it.
    static func number(_ value: Double) -> String {
        var builder = JSONLineBuilder(bytes: [])
        builder.milliseconds(value)
        return String(decoding: builder.bytes, as: UTF8.self)
    }
}
