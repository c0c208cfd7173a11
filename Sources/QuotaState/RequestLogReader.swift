import Foundation
import Glibc
import QuotaCore

/// Reads the request log written by ``RequestLogWriter``: `requests.jsonl` and the rotated
/// `requests.<n>.jsonl`, newest record first.
///
/// Each file is read with one `read(2)` and its lines are looked at from the end backwards; a line
/// is only decoded when its id and time (read straight from the line's start) do not already rule
/// it out, and the scan stops as soon as `limit` records are found (unless asked to count them all).
///
/// Tolerant by design: a torn last line (a crash in the middle of an append) or a corrupt line is
/// skipped and counted in ``RequestLogPage/skippedLines``, never fatal. A missing folder means that
/// nothing was recorded yet. The files are opened before any is read and a file seen twice (the
/// writer rotated in between) is read once, so a concurrent rotation does not duplicate records.
public struct RequestLogReader: Sendable {
    /// The log folder, e.g. `/var/lib/quota-proxy/requests`.
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// The records matching `filter`, newest first.
    /// - Parameters:
    ///   - limit: at most this many records; `nil` or 0 for all.
    ///   - countingAll: keep scanning past the limit to fill ``RequestLogPage/matchingCount``.
    ///     Past the limit, when the filter has no criterion besides the time window, lines are
    ///     counted by their time alone without being decoded.
    public func page(matching filter: RequestLogFilter = .all, limit: Int? = nil, countingAll: Bool = false)
        throws(RequestLogError) -> RequestLogPage
    {
        let limit = limit.flatMap { $0 > 0 ? $0 : nil }
        let timeOnly = filter.model == nil && filter.account == nil && filter.status == nil && filter.kind == nil
        let decoder = JSONDecoder()
        var page = RequestLogPage()
        var count = 0
        let outcome = try scanLines { line in
            let peek = RequestLogLine(line)
            if peek.certainlyOutside(filter) { return true }
            let full = limit.map { page.records.count >= $0 } ?? false
            if full {
                guard countingAll else { return false }
                if timeOnly && peek.time != nil {
                    count += 1
                    return true
                }
            }
            guard let record = Self.decode(line, with: decoder) else {
                page.skippedLines += 1
                return true
            }
            guard filter.matches(record) else { return true }
            count += 1
            if !full { page.records.append(record) }
            return true
        }
        // The proxy appends each event loop's batch in turn, so lines of different loops can be
        // out of order by up to a flush interval: put the page in time order (stable for ties).
        page.records = page.records.enumerated()
            .sorted { $0.element.time != $1.element.time ? $0.element.time > $1.element.time : $0.offset < $1.offset }
            .map(\.element)
        page.logExists = outcome.exists
        page.skippedLines += outcome.tornLines
        page.matchingCount = outcome.completed ? count : nil
        return page
    }

    /// The records matching `filter`, newest first, at most `limit` (`nil` or 0: all).
    public func records(matching filter: RequestLogFilter = .all, limit: Int? = nil) throws(RequestLogError) -> [RequestRecord] {
        try page(matching: filter, limit: limit).records
    }

    /// The record with this id (the newest, should the id appear twice); `nil` when there is none.
    public func record(id: String) throws(RequestLogError) -> RequestRecord? {
        let decoder = JSONDecoder()
        var found: RequestRecord?
        _ = try scanLines { line in
            if RequestLogLine(line).certainlyNot(id: id) { return true }
            guard let record = Self.decode(line, with: decoder), record.id == id else { return true }
            found = record
            return false
        }
        return found
    }

    // MARK: - Files and lines

    struct ScanOutcome {
        /// The folder exists.
        var exists: Bool
        /// Every line was visited (`visit` never asked to stop).
        var completed: Bool
        /// Files whose last line had no line break (torn by a crash mid-append).
        var tornLines: Int
    }

    /// Calls `visit` with every non-empty line, newest file first and last line first, until it
    /// returns `false`.
    func scanLines(_ visit: (UnsafeBufferPointer<UInt8>) -> Bool) throws(RequestLogError) -> ScanOutcome {
        guard let numbers = try RequestLogLayout.rotationNumbers(in: directory) else {
            return ScanOutcome(exists: false, completed: true, tornLines: 0)
        }
        let names = [RequestLogLayout.currentFileName] + numbers.map(RequestLogLayout.rotatedFileName)
        // Open them all first: a rotation while reading then shows up as the same file twice.
        var files: [(path: String, fd: Int32)] = []
        defer { for file in files { close(file.fd) } }
        var seen: Set<UInt64> = []
        for name in names {
            let path = directory + "/" + name
            // Never through a symbolic link, and never blocking on a FIFO (checked with fstat).
            let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY)
            if fd < 0 {
                if errno == ENOENT { continue }
                if errno == ELOOP { throw .notRegularFile(path: path, kind: "a symbolic link") }
                throw .unreadable(path: path, errno: errno)
            }
            var info = stat()
            guard fstat(fd, &info) == 0 else {
                let code = errno
                close(fd)
                throw .unreadable(path: path, errno: code)
            }
            guard info.st_mode & S_IFMT == S_IFREG else {
                close(fd)
                throw .notRegularFile(path: path, kind: StateFileReader.kindName(info.st_mode & S_IFMT))
            }
            guard seen.insert(UInt64(info.st_ino)).inserted else {
                close(fd)
                continue
            }
            files.append((path, fd))
        }
        var torn = 0
        for file in files {
            let (bytes, cut) = try Self.readTail(fd: file.fd, path: file.path, limit: Self.maximumFileBytes)
            // The older part of a file over the cap is not read; its first, partial line is skipped.
            if cut { torn += 1 }
            let stopped = bytes.withUnsafeBufferPointer { buffer -> Bool in
                var end = buffer.count
                if end > 0 && buffer[end - 1] != 0x0A {
                    // The last line was torn by a crash in the middle of an append (or is being
                    // written right now): skip it.
                    while end > 0 && buffer[end - 1] != 0x0A { end -= 1 }
                    torn += 1
                }
                while end > 0 {
                    // `end` is just past a line break; find the start of the line before it.
                    var start = end - 1
                    while start > 0 && buffer[start - 1] != 0x0A { start -= 1 }
                    if cut && start == 0 { break }
                    let line = UnsafeBufferPointer(rebasing: buffer[start..<(end - 1)])
                    end = start
                    if line.count > Self.maximumLineBytes {
                        torn += 1
                        continue
                    }
                    if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
                    if !visit(line) { return true }
                }
                return false
            }
            if stopped { return ScanOutcome(exists: true, completed: false, tornLines: torn) }
        }
        return ScanOutcome(exists: true, completed: true, tornLines: torn)
    }

    /// The most of each log file that is read: its last 256 MiB (the newest records). The writer
    /// keeps files at `request_log.max_file_bytes`, so only a file grown by something else is cut.
    public static let maximumFileBytes = 256 << 20
    /// A longer line is skipped as unreadable without being decoded (64 MiB).
    public static let maximumLineBytes = 64 << 20

    /// The file's bytes as of now, in one `read(2)` (more only if the kernel returns less); for a
    /// file over `limit`, only its last `limit` bytes, with `cut` set.
    static func readTail(fd: Int32, path: String, limit: Int) throws(RequestLogError) -> (bytes: [UInt8], cut: Bool) {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .unreadable(path: path, errno: errno) }
        let total = Int(info.st_size)
        guard total > 0 else { return ([], false) }
        let size = min(total, limit)
        let base = total - size
        var failure: Int32?
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            var offset = 0
            while offset < size {
                let count = pread(fd, buffer.baseAddress! + offset, size - offset, off_t(base + offset))
                if count < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    break
                }
                if count == 0 { break }  // truncated meanwhile
                offset += count
            }
            initialized = offset
        }
        if let failure { throw .unreadable(path: path, errno: failure) }
        return (bytes, base > 0)
    }

    static func decode(_ line: UnsafeBufferPointer<UInt8>, with decoder: JSONDecoder) -> RequestRecord? {
        try? decoder.decode(RequestRecord.self, from: Data(buffer: line))
    }
}
