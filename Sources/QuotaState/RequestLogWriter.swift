import Glibc
import QuotaCore
import Synchronization

/// Appends request records to the request log (`<state dir>/requests/requests.jsonl`), one JSON
/// object per line, and rotates it so the log never takes more than `maxFiles × maxFileBytes`.
///
/// Made for the proxy's batching task: it hands over the records of the last second or so in one
/// ``append(_:)``, which encodes them and appends them with one `write(2)` on an `O_APPEND` file
/// descriptor kept open between calls. The proxy is the only writer of the log; readers
/// (``RequestLogReader``, `quota-proxyctl requests`) may read at any time.
///
/// - Rotation: before a write would push `requests.jsonl` over `maxFileBytes`, the files shift
///   (`requests.jsonl` → `requests.1.jsonl` → … → `requests.<maxFiles-1>.jsonl`, the oldest is
///   deleted) and a new `requests.jsonl` is started. A batch may end up split across the old and
///   the new file. A record longer than `maxFileBytes` is written without its bodies, or dropped
///   (counted in ``droppedRecords``) if it is still too long.
/// - Restarts: a new writer appends to the existing file and knows its size. If the last line was
///   torn by a crash in the middle of a write, the next record starts on a new line, so only the
///   torn line is lost (readers skip it).
/// - Modes: the folder is 0750, the files 0640; when root creates them they are handed to the
///   owner of the enclosing folder, like the other state files.
/// - Durability: ``append(_:)`` does not fsync (the page cache survives a crash of the proxy, not
///   of the machine); call ``sync()`` where that matters, e.g. at shutdown.
///
/// All methods may be called from any thread; calls are serialized by an internal lock, but the
/// writer is meant to be driven by one task at a time.
public final class RequestLogWriter: Sendable {
    /// The log folder, e.g. `/var/lib/quota-proxy/requests`.
    public let directory: String
    /// The size at which `requests.jsonl` is rotated.
    public let maxFileBytes: Int
    /// How many files are kept, the current one included.
    public let maxFiles: Int

    private let state = Mutex(State())

    private struct State: ~Copyable {
        var fd: Int32 = -1
        /// Bytes in the current file.
        var size = 0
        /// The file does not end with a line break (a crash or a failed write tore the last line).
        var needsLineBreak = false
        var droppedRecords = 0
    }

    /// Opens nothing yet: the folder and file are created (or reopened) by the first ``append(_:)``.
    /// - Parameters:
    ///   - directory: the log folder, usually ``StateDirectory/requestLogPath``.
    ///   - maxFileBytes: rotate before `requests.jsonl` would grow past this (default 10 MiB).
    ///   - maxFiles: files kept including the current one (default 5; at least 1).
    public init(directory: String, maxFileBytes: Int = 10 * 1024 * 1024, maxFiles: Int = 5) {
        self.directory = directory
        self.maxFileBytes = max(1, maxFileBytes)
        self.maxFiles = max(1, maxFiles)
    }

    deinit {
        state.withLock { state in
            if state.fd >= 0 { Glibc.close(state.fd) }
        }
    }

    /// The current file, `<directory>/requests.jsonl`.
    public var currentPath: String {
        directory + "/" + RequestLogLayout.currentFileName
    }

    /// Records not logged because even without their bodies they were longer than `maxFileBytes`.
    public var droppedRecords: Int {
        state.withLock { $0.droppedRecords }
    }

    /// Appends `records` in order, rotating first when they would not fit in the current file.
    ///
    /// On an error the records of this batch that were not yet written are lost (the caller should
    /// log the error, which names the file and the step, and carry on); the next call tries again.
    public func append(_ records: [RequestRecord]) throws(RequestLogError) {
        guard !records.isEmpty else { return }
        var lines: [UInt8] = []
        lines.reserveCapacity(min(records.count * 512, maxFileBytes))
        for record in records {
            let start = lines.count
            record.appendJSON(to: &lines)
            lines.append(0x0A)
            if lines.count - start > maxFileBytes, record.requestBody != nil || record.responseBody != nil {
                var withoutBodies = record
                withoutBodies.requestBody = nil
                withoutBodies.responseBody = nil
                lines.removeSubrange(start...)
                withoutBodies.appendJSON(to: &lines)
                lines.append(0x0A)
            }
        }
        // Rotation, and dropping a line still longer than a whole file, happen there.
        try appendEncoded(lines)
    }

    /// Appends records already encoded with ``RequestRecord/appendJSON(to:)``, each line ending in
    /// a line break (the proxy encodes on its event loops and hands over bytes). Rotation happens
    /// between lines, as for ``append(_:)``; a line longer than `maxFileBytes` is dropped and
    /// counted in ``droppedRecords``.
    public func appendEncoded(_ lines: [UInt8]) throws(RequestLogError) {
        guard !lines.isEmpty else { return }
        try state.withLock { (state: inout State) throws(RequestLogError) in
            if state.fd < 0 { try open(&state) }
            var failure: RequestLogError?
            lines.withUnsafeBytes { all in
                do throws(RequestLogError) {
                    var start = 0
                    while start < all.count {
                        if state.needsLineBreak {
                            // After a torn line (a crash or a failed write): start on a new line.
                            var lineBreak: [UInt8] = [0x0A]
                            try write(&lineBreak, state: &state)
                        }
                        let room = maxFileBytes - state.size
                        var end = all.count
                        if end - start > room {
                            // The whole lines that still fit in this file.
                            end = start
                            var index = min(start + room, all.count) - 1
                            while index >= start {
                                if all[index] == 0x0A {
                                    end = index + 1
                                    break
                                }
                                index -= 1
                            }
                        }
                        if end == start {
                            if state.size > 0 {
                                try rotate(&state)
                                continue
                            }
                            // Longer than a whole file: skip the line.
                            var next = start
                            while next < all.count && all[next] != 0x0A { next += 1 }
                            start = next + 1
                            state.droppedRecords += 1
                            continue
                        }
                        try writeBytes(UnsafeRawBufferPointer(rebasing: all[start..<end]), state: &state)
                        start = end
                    }
                } catch {
                    failure = error
                }
            }
            if let failure { throw failure }
        }
    }

    /// Flushes appended records to disk (`fdatasync`).
    public func sync() throws(RequestLogError) {
        try state.withLock { (state: inout State) throws(RequestLogError) in
            guard state.fd >= 0 else { return }
            guard fdatasync(state.fd) == 0 else { throw .writeFailed(path: currentPath, step: "fdatasync", errno: errno) }
        }
    }

    /// Closes the file; a later ``append(_:)`` reopens it.
    public func close() {
        state.withLock { state in
            if state.fd >= 0 { Glibc.close(state.fd) }
            state.fd = -1
        }
    }

    // MARK: - Steps

    /// Creates the folder when missing, then opens (or creates) `requests.jsonl` for appending.
    private func open(_ state: inout State) throws(RequestLogError) {
        try createFolder()
        let path = currentPath
        // Read-write only so the last byte can be checked for a torn line; O_APPEND sends every
        // write to the end regardless.
        // O_NOFOLLOW | O_NONBLOCK: a symbolic link, FIFO or device at this name must never be
        // written through or block the flusher (checked with fstat below).
        var fd = Glibc.open(path, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o640)
        if fd >= 0 {
            // open() applies the umask; the mode is part of the contract.
            guard fchmod(fd, 0o640) == 0 else {
                let code = errno
                Glibc.close(fd)
                throw .writeFailed(path: path, step: "chmod", errno: code)
            }
            do {
                try AtomicJSONFile<JSONValue>.matchDirectoryOwner(fd: fd, directory: directory, path: path)
            } catch {
                Glibc.close(fd)
                throw .writeFailed(path: path, step: "chown", errno: Self.errnoCode(of: error))
            }
            syncFolder()
        } else if errno == EEXIST {
            fd = Glibc.open(path, O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        }
        guard fd >= 0 else {
            if errno == ELOOP { throw .notRegularFile(path: path, kind: "a symbolic link") }
            throw .writeFailed(path: path, step: "open", errno: errno)
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw .writeFailed(path: path, step: "stat", errno: code)
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            Glibc.close(fd)
            throw .notRegularFile(path: path, kind: StateFileReader.kindName(info.st_mode & S_IFMT))
        }
        state.fd = fd
        state.size = Int(info.st_size)
        state.needsLineBreak = false
        if state.size > 0 {
            var last: UInt8 = 0
            if pread(fd, &last, 1, off_t(state.size - 1)) == 1 {
                state.needsLineBreak = last != 0x0A
            } else {
                // The last byte cannot be checked: start on a new line to be safe (an empty line
                // costs nothing; readers skip it).
                state.needsLineBreak = true
            }
        }
    }

    /// `mkdir` 0750 (exactly, despite the umask), handed to the state folder's owner when root.
    private func createFolder() throws(RequestLogError) {
        if mkdir(directory, 0o750) != 0 {
            guard errno == EEXIST else { throw .writeFailed(path: directory, step: "create folder", errno: errno) }
            return
        }
        guard chmod(directory, 0o750) == 0 else { throw .writeFailed(path: directory, step: "chmod folder", errno: errno) }
        if geteuid() == 0 {
            var parent = stat()
            if stat(RequestLogError.folder(of: directory), &parent) == 0, parent.st_uid != 0 || parent.st_gid != 0 {
                guard chown(directory, parent.st_uid, parent.st_gid) == 0 else {
                    throw .writeFailed(path: directory, step: "chown folder", errno: errno)
                }
            }
        }
    }

    /// One `write(2)` of `pending` (more only if the kernel writes less), then empties it.
    private func write(_ pending: inout [UInt8], state: inout State) throws(RequestLogError) {
        guard !pending.isEmpty else { return }
        defer { pending.removeAll(keepingCapacity: true) }
        var failure: RequestLogError?
        pending.withUnsafeBytes { raw in
            do throws(RequestLogError) { try writeBytes(raw, state: &state) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    private func writeBytes(_ raw: UnsafeRawBufferPointer, state: inout State) throws(RequestLogError) {
        guard raw.count > 0 else { return }
        let fd = state.fd
        var offset = 0
        while offset < raw.count {
            let written = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
            if written < 0 {
                let failure = errno
                if failure == EINTR { continue }
                // Part of the batch may be on disk, ending in a torn line: resync the size and
                // start the next write on a new line.
                var info = stat()
                if fstat(fd, &info) == 0 { state.size = Int(info.st_size) }
                state.needsLineBreak = true
                throw .writeFailed(path: currentPath, step: "write", errno: failure)
            }
            offset += written
        }
        state.size += raw.count
        state.needsLineBreak = false
    }

    /// Shifts the files by one, drops the oldest, and opens a fresh `requests.jsonl`.
    private func rotate(_ state: inout State) throws(RequestLogError) {
        Glibc.close(state.fd)
        state.fd = -1
        let current = currentPath
        // Files beyond what is kept (also left over from a larger max_files) go first.
        let oldest = maxFiles - 1
        for number in (try? RequestLogLayout.rotationNumbers(in: directory)) ?? [] where number >= max(1, oldest) {
            let path = directory + "/" + RequestLogLayout.rotatedFileName(number)
            if unlink(path) != 0 && errno != ENOENT { throw .writeFailed(path: path, step: "rotate: delete oldest file", errno: errno) }
        }
        if oldest >= 2 {
            for number in stride(from: oldest - 1, through: 1, by: -1) {
                let from = directory + "/" + RequestLogLayout.rotatedFileName(number)
                let to = directory + "/" + RequestLogLayout.rotatedFileName(number + 1)
                if rename(from, to) != 0 && errno != ENOENT {
                    throw .writeFailed(path: from, step: "rotate: rename to \(RequestLogLayout.rotatedFileName(number + 1))", errno: errno)
                }
            }
        }
        if oldest >= 1 {
            if rename(current, directory + "/" + RequestLogLayout.rotatedFileName(1)) != 0 && errno != ENOENT {
                throw .writeFailed(path: current, step: "rotate: rename to \(RequestLogLayout.rotatedFileName(1))", errno: errno)
            }
        } else if unlink(current) != 0 && errno != ENOENT {
            throw .writeFailed(path: current, step: "rotate: delete the full file", errno: errno)
        }
        try open(&state)
    }

    /// Makes a new file's name durable; best effort (the data itself is not at stake).
    private func syncFolder() {
        let fd = Glibc.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        Glibc.close(fd)
    }

    private static func errnoCode(of error: StateFileError) -> Int32 {
        if case .writeFailed(_, _, let code) = error { return code }
        return EIO
    }
}
