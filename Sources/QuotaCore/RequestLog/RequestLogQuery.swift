import Foundation

/// The request log filters of `quota-proxyctl requests` as query parameters of the admin API:
/// `since`, `until`, `model`, `account`, `status`, `kind`, `limit` (and `format` for an export),
/// with the CLI's forms and defaults.
public struct RequestLogQuery: Sendable, Equatable {
    /// An export format (`--export`).
    public enum ExportFormat: String, Sendable, CaseIterable {
        case jsonl, csv
    }

    public var filter: RequestLogFilter
    /// At most this many records (`nil`: all, up to ``maximumExport``).
    public var limit: Int?
    public var format: ExportFormat?

    /// A listing shows at most this many records.
    public static let maximumLimit = 1000
    /// An export holds at most this many records (the newest).
    public static let maximumExport = 100_000
    /// The listing default (as the CLI's).
    public static let defaultLimit = 50

    /// The parameters this query reads.
    public static let parameterNames: Set<String> = ["since", "until", "model", "account", "status", "kind", "limit", "format"]

    /// Why a parameter was refused; the message names it and the accepted forms.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public var parameter: String
        public var message: String

        public var description: String { "\(parameter): \(message)" }
    }

    public init(filter: RequestLogFilter = .all, limit: Int? = RequestLogQuery.defaultLimit, format: ExportFormat? = nil) {
        self.filter = filter
        self.limit = limit
        self.format = format
    }

    /// Reads the parameters; `export` asks for an export (a `format` is required, the limit
    /// defaults to all). Unknown parameters are refused so a misspelt filter never shows everything.
    public init(_ query: QueryString, export: Bool, now: Date) throws(Problem) {
        if let unknown = query.names.first(where: { !Self.parameterNames.contains($0) }) {
            throw Problem(
                parameter: unknown,
                message: "unknown parameter; known: " + Self.parameterNames.sorted().joined(separator: ", "))
        }
        var filter = RequestLogFilter()
        do {
            if let since = query["since"] { filter.since = try RequestLogFilter.parseTime(since, now: now) }
        } catch {
            throw Problem(parameter: "since", message: error.description)
        }
        do {
            if let until = query["until"] { filter.until = try RequestLogFilter.parseTime(until, now: now) }
        } catch {
            throw Problem(parameter: "until", message: error.description)
        }
        do {
            if let status = query["status"] { filter.status = try RequestLogFilter.StatusMatch(parsing: status) }
        } catch {
            throw Problem(parameter: "status", message: error.description)
        }
        filter.model = query["model"]
        filter.account = query["account"]
        if let kind = query["kind"] {
            guard let parsed = RequestRecord.Kind(rawValue: kind) else {
                throw Problem(parameter: "kind", message: "\"\(kind)\" is not a kind: use proxy, warmup or test")
            }
            filter.kind = parsed
        }
        var format: ExportFormat?
        if let text = query["format"] {
            guard let parsed = ExportFormat(rawValue: text) else {
                throw Problem(parameter: "format", message: "\"\(text)\" is not a format: use jsonl or csv")
            }
            format = parsed
        }
        if export && format == nil {
            throw Problem(parameter: "format", message: "an export needs format=jsonl or format=csv")
        }
        var limit: Int? = export ? nil : Self.defaultLimit
        if let text = query["limit"] {
            guard let value = Int(text), value >= 0 else {
                throw Problem(parameter: "limit", message: "must be 0 (all) or a positive whole number, got \"\(text)\"")
            }
            limit = value == 0 ? nil : value
        }
        let cap = export ? Self.maximumExport : Self.maximumLimit
        self.init(filter: filter, limit: min(limit ?? cap, cap), format: export ? format : nil)
    }
}
