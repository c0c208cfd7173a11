import Foundation
import QuotaCore

/// Reads `quota-history.jsonl` and its rotated files, oldest first; a torn or corrupt line is
/// skipped and counted, never fatal. For following the history as it grows, use a ``LogTail`` on
/// ``files``.
public struct QuotaHistoryReader: Sendable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// The history's files in `directory`.
    public static func files(directory: String) -> LogFileSet {
        LogFileSet(
            directory: directory, currentFileName: QuotaHistoryLayout.currentFileName,
            rotationNumber: { QuotaHistoryLayout.rotationNumber(of: $0) },
            rotatedFileName: { QuotaHistoryLayout.rotatedFileName($0) })
    }

    public var files: LogFileSet { Self.files(directory: directory) }

    /// Every record at or after `since` (all when `nil`), oldest first by file order, and how many
    /// lines could not be read.
    public func records(since: Date? = nil) throws(RequestLogError) -> (records: [QuotaHistoryRecord], skippedLines: Int) {
        var tail = LogTail(files: files)
        var records: [QuotaHistoryRecord] = []
        var skipped = 0
        let decoder = JSONDecoder()
        try tail.readNew { line in
            guard let record = Self.decode(line, with: decoder) else {
                skipped += 1
                return
            }
            if let since, record.time < since { return }
            records.append(record)
        }
        return (records, skipped)
    }

    /// One line as a record, `nil` when it is not one.
    public static func decode(_ line: UnsafeBufferPointer<UInt8>, with decoder: JSONDecoder) -> QuotaHistoryRecord? {
        try? decoder.decode(QuotaHistoryRecord.self, from: Data(buffer: line))
    }
}
