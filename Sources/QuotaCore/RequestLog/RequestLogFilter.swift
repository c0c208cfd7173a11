import Foundation

/// Which request records to show: a time window, a model, an account, a status, a kind. Every
/// criterion that is set must match; an empty filter matches everything.
public struct RequestLogFilter: Sendable, Equatable {
    /// Only records that started at or after this time.
    public var since: Date?
    /// Only records that started at or before this time.
    public var until: Date?
    /// Only this model, as the client asked for it or as it was mapped upstream.
    public var model: String?
    /// Only records this account answered or was tried for.
    public var account: String?
    /// Only this status, or status class, as the client got it.
    public var status: StatusMatch?
    /// Only proxied requests, or only warmups.
    public var kind: RequestRecord.Kind?

    public init(
        since: Date? = nil, until: Date? = nil, model: String? = nil, account: String? = nil,
        status: StatusMatch? = nil, kind: RequestRecord.Kind? = nil
    ) {
        self.since = since
        self.until = until
        self.model = model
        self.account = account
        self.status = status
        self.kind = kind
    }

    /// Matches everything.
    public static let all = RequestLogFilter()

    /// Whether no criterion is set.
    public var isEmpty: Bool {
        self == .all
    }

    /// Whether `record` passes every criterion that is set.
    public func matches(_ record: RequestRecord) -> Bool {
        if let since, record.time < since { return false }
        if let until, record.time > until { return false }
        if let model, record.model != model && record.mappedModel != model { return false }
        if let account, !record.involves(account: account) { return false }
        if let status, !status.matches(record.status) { return false }
        if let kind, record.kind != kind { return false }
        return true
    }

    /// Parses a `--since` / `--until` value: a duration back from `now` (`30s`, `15m`, `1h`, `2d`)
    /// or an RFC 3339 time (`2026-11-22T16:00:00Z`).
    public static func parseTime(_ text: String, now: Date) throws(RequestLogFilterError) -> Date {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let unit = trimmed.last, let amount = Int(trimmed.dropLast()), amount >= 0, trimmed.first != "+" {
            let seconds: Int? =
                switch unit {
                case "s": 1
                case "m": 60
                case "h": 3600
                case "d": 86_400
                default: nil
                }
            if let seconds {
                let (total, overflow) = amount.multipliedReportingOverflow(by: seconds)
                guard !overflow, total <= 100 * 365 * 86_400 else { throw .badTime(text) }
                return now.addingTimeInterval(-TimeInterval(total))
            }
        }
        if let date = RequestLogTime.parse(trimmed) { return date }
        throw .badTime(text)
    }
}
