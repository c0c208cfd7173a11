import Foundation
import QuotaCore

/// A quick look at the start of a log line as ``RequestRecord/appendJSON(to:)`` writes it
/// (`{"id":"…","time":"…",…`), so a reader can skip lines by id or time without decoding them.
///
/// Anything in another shape (hand-edited, another writer) yields `nil` fields, and the reader
/// then decodes the line in full; the peek never decides that a line matches, only that it cannot.
struct RequestLogLine {
    /// The id's bytes when they hold no escape (so they equal the id's UTF-8).
    var plainID: UnsafeBufferPointer<UInt8>?
    /// The record's start time.
    var time: Date?

    init(_ line: UnsafeBufferPointer<UInt8>) {
        let idPrefix: StaticString = #"{"id":""#
        let timePrefix: StaticString = #"","time":""#
        guard let idStart = Self.after(idPrefix, in: line, at: 0) else { return }
        var index = idStart
        var hasEscape = false
        while index < line.count, line[index] != 0x22 {
            if line[index] == 0x5C {
                hasEscape = true
                index += 1
            }
            index += 1
        }
        guard index < line.count else { return }
        if !hasEscape { plainID = UnsafeBufferPointer(rebasing: line[idStart..<index]) }
        guard let timeStart = Self.after(timePrefix, in: line, at: index) else { return }
        var timeEnd = timeStart
        while timeEnd < line.count, timeEnd - timeStart < 40, line[timeEnd] != 0x22 { timeEnd += 1 }
        guard timeEnd < line.count, line[timeEnd] == 0x22 else { return }
        time = RequestLogTime.parse(String(decoding: UnsafeBufferPointer(rebasing: line[timeStart..<timeEnd]), as: UTF8.self))
    }

    /// Whether the id is certainly not `id` (a plain id that differs).
    func certainlyNot(id: String) -> Bool {
        guard let plainID else { return false }
        return !plainID.elementsEqual(id.utf8)
    }

    /// Whether the time is certainly outside the filter's window.
    func certainlyOutside(_ filter: RequestLogFilter) -> Bool {
        guard let time else { return false }
        if let since = filter.since, time < since { return true }
        if let until = filter.until, time > until { return true }
        return false
    }

    /// The index after `prefix` when the line holds it at `offset`.
    private static func after(_ prefix: StaticString, in line: UnsafeBufferPointer<UInt8>, at offset: Int) -> Int? {
        prefix.withUTF8Buffer { bytes -> Int? in
            guard offset + bytes.count <= line.count else { return nil }
            for position in 0..<bytes.count where line[offset + position] != bytes[position] { return nil }
            return offset + bytes.count
        }
    }
}
