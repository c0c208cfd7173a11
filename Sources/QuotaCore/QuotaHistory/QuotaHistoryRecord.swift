import Foundation

/// One change of a quota figure, as `quota-history.jsonl` keeps it: which account, model and
/// window, the percentage left after the change, and who saw it.
///
/// One compact JSON object per line:
///
/// ```json
/// {"time":"2026-11-22T16:47:00.123Z","account":"acc-1","scope":"model","model":"gpt-4o-mini",
///  "window_seconds":18000,"percentage":95,"reset_time":"2026-11-22T21:00:00Z","source":"headers","by":"proxy"}
/// ```
///
/// Only `quota` windows are recorded: rate limits move with every request and reset every minute,
/// so they would drown the history without saying anything about quota.
public struct QuotaHistoryRecord: Sendable, Equatable {
    /// The process that saw the change.
    public enum Writer: String, Sendable, Codable, CaseIterable {
        /// Live figures from answer headers and error bodies (the proxy's quota flusher).
        case proxy
        /// Polled figures (quota-refresher, after each refresh).
        case refresher
    }

    /// When the figure was written (millisecond precision).
    public var time: Date
    public var account: String
    public var scope: QuotaWindow.Scope
    /// The model for ``QuotaWindow/Scope/model``; `nil` for an account-wide window.
    public var model: String?
    /// The window's length; `nil` when its source does not say.
    public var windowSeconds: Int?
    /// What is left, 0–100.
    public var percentage: Double
    public var resetTime: Date?
    public var source: QuotaWindow.Source
    public var writer: Writer

    public init(
        time: Date, account: String, scope: QuotaWindow.Scope, model: String?, windowSeconds: Int?, percentage: Double,
        resetTime: Date?, source: QuotaWindow.Source, writer: Writer
    ) {
        self.time = RequestLogTime.roundedToMilliseconds(time)
        self.account = account
        self.scope = scope
        self.model = scope == .model ? model : nil
        self.windowSeconds = windowSeconds
        self.percentage = percentage.isFinite ? min(100, max(0, percentage)) : 0
        self.resetTime = resetTime
        self.source = source
        self.writer = writer
    }

    /// The record of `window` on `account` as seen at `time`.
    public init(account: String, window: QuotaWindow, time: Date, writer: Writer) {
        self.init(
            time: time, account: account, scope: window.scope, model: window.model, windowSeconds: window.windowSeconds,
            percentage: window.percentage, resetTime: window.resetTime, source: window.source, writer: writer)
    }

    /// The series this record belongs to: account, scope/model, window length and source.
    public var seriesKey: QuotaHistorySeries.Key {
        QuotaHistorySeries.Key(account: account, model: model, windowSeconds: windowSeconds, source: source)
    }

    /// The record as one compact JSON line (no newline), keys in a fixed order.
    public func jsonLine() -> String {
        var object: [(String, String)] = [
            ("time", Self.quoted(RequestLogTime.format(time))),
            ("account", Self.quoted(account)),
            ("scope", Self.quoted(scope.rawValue)),
        ]
        if let model { object.append(("model", Self.quoted(model))) }
        object.append(("window_seconds", windowSeconds.map(String.init) ?? "null"))
        object.append(("percentage", PercentText.format(percentage)))
        object.append(("reset_time", resetTime.map { Self.quoted(Timestamp.format($0)) } ?? "null"))
        object.append(("source", Self.quoted(source.rawValue)))
        object.append(("by", Self.quoted(writer.rawValue)))
        return "{" + object.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    private static func quoted(_ text: String) -> String {
        "\"" + ClientErrorBody.escape(text) + "\""
    }
}

extension QuotaHistoryRecord: Codable {
    enum CodingKeys: String, CodingKey {
        case time, account, scope, model
        case windowSeconds = "window_seconds"
        case percentage
        case resetTime = "reset_time"
        case source
        case writer = "by"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let text = try container.decode(String.self, forKey: .time)
        guard let time = RequestLogTime.parse(text) else {
            throw DecodingError.dataCorruptedError(forKey: .time, in: container, debugDescription: "time must be RFC 3339, got \"\(text)\"")
        }
        let account = try container.decode(String.self, forKey: .account)
        guard !account.isEmpty else {
            throw DecodingError.dataCorruptedError(forKey: .account, in: container, debugDescription: "account must not be empty")
        }
        let scope = try container.decode(QuotaWindow.Scope.self, forKey: .scope)
        let model = try container.decodeIfPresent(String.self, forKey: .model)
        if scope == .model && (model ?? "").isEmpty {
            throw DecodingError.dataCorruptedError(forKey: .model, in: container, debugDescription: "scope model needs a model")
        }
        let percentage = try container.decode(Double.self, forKey: .percentage)
        guard (0...100).contains(percentage) else {
            throw DecodingError.dataCorruptedError(
                forKey: .percentage, in: container, debugDescription: "percentage must be 0–100, got \(percentage)")
        }
        let reset = try container.decodeIfPresent(String.self, forKey: .resetTime).map { text in
            guard let date = Timestamp.parse(text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .resetTime, in: container, debugDescription: "reset_time must be RFC 3339, got \"\(text)\"")
            }
            return date
        }
        self.init(
            time: time, account: account, scope: scope, model: model,
            windowSeconds: try container.decodeIfPresent(Int.self, forKey: .windowSeconds), percentage: percentage,
            resetTime: reset, source: try container.decode(QuotaWindow.Source.self, forKey: .source),
            writer: try container.decode(Writer.self, forKey: .writer))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(RequestLogTime.format(time), forKey: .time)
        try container.encode(account, forKey: .account)
        try container.encode(scope, forKey: .scope)
        try container.encodeIfPresent(model, forKey: .model)
        try container.encode(windowSeconds, forKey: .windowSeconds)
        try container.encode(percentage, forKey: .percentage)
        try container.encode(resetTime.map(Timestamp.format), forKey: .resetTime)
        try container.encode(source, forKey: .source)
        try container.encode(writer, forKey: .writer)
    }
}
