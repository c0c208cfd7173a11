import QuotaCore

/// What a ``RequestLogReader`` query found.
public struct RequestLogPage: Sendable, Equatable {
    /// The matching records, newest first, at most the limit asked for.
    public var records: [RequestRecord]
    /// How many records match in all; `nil` when the scan stopped at the limit without counting.
    public var matchingCount: Int?
    /// Lines that could not be read as a record (a line torn by a crash mid-append, a corrupt line)
    /// and were skipped.
    public var skippedLines: Int
    /// Whether the log folder exists; `false` means no request has been recorded yet.
    public var logExists: Bool

    public init(records: [RequestRecord] = [], matchingCount: Int? = nil, skippedLines: Int = 0, logExists: Bool = true) {
        self.records = records
        self.matchingCount = matchingCount
        self.skippedLines = skippedLines
        self.logExists = logExists
    }
}
