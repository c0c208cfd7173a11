import Glibc
import QuotaCore

/// Appends quota changes to `quota-history.jsonl` in the state folder and rotates it
/// (``QuotaHistoryLayout``), so it never takes more than `maxFiles × maxFileBytes`.
///
/// Two processes append (the proxy's quota flusher and the refresher), rarely and in small
/// batches, so each ``append(_:)`` takes the history lock (`.quota-history.lock`), opens the
/// current file, rotates when the batch would not fit, writes with one `write(2)` and closes: no
/// descriptor is kept that a rotation by the other process could leave pointing at an old file.
/// A last line torn by a crash is ended before the batch so only that line is lost (readers skip
/// it). Files are 0640, handed to the state folder's owner when root creates them. Never called on
/// the proxy's request path.
public struct QuotaHistoryWriter: Sendable {
    public let directory: String
    public let layout: QuotaHistoryLayout

    public init(directory: String, layout: QuotaHistoryLayout = QuotaHistoryLayout()) {
        self.directory = directory
        self.layout = layout
    }

    public var currentPath: String { directory + "/" + QuotaHistoryLayout.currentFileName }

    /// Appends `records` (nothing for none); the error names the file and the step.
    public func append(_ records: [QuotaHistoryRecord]) throws(StateFileError) {
        guard !records.isEmpty else { return }
        var bytes: [UInt8] = []
        for record in records {
            bytes.append(contentsOf: record.jsonLine().utf8)
            bytes.append(0x0A)
        }
        let lock = FileLock(path: directory + "/" + QuotaHistoryLayout.lockFileName)
        do {
            try lock.withLock { try write(bytes) }
        } catch let error as StateFileError {
            throw error
        } catch {
            throw StateFileError.writeFailed(path: currentPath, step: "append", errno: EIO)
        }
    }

    private func write(_ bytes: [UInt8]) throws(StateFileError) {
        var (fd, size) = try openCurrent()
        if layout.needsRotation(currentSize: size, incoming: bytes.count) {
            close(fd)
            try rotate()
            (fd, size) = try openCurrent()
        }
        defer { close(fd) }
        var output = bytes
        if size > 0 {
            var last: UInt8 = 0x0A
            if pread(fd, &last, 1, off_t(size - 1)) != 1 || last != 0x0A { output.insert(0x0A, at: 0) }
        }
        var failure: Int32?
        output.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                offset += written
            }
        }
        if let failure { throw .writeFailed(path: currentPath, step: "write", errno: failure) }
    }

    /// Opens (creating 0640) the current file for appending; returns it and its size.
    private func openCurrent() throws(StateFileError) -> (Int32, Int) {
        let path = currentPath
        var fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
        if fd >= 0 {
            guard fchmod(fd, 0o640) == 0 else {
                let code = errno
                close(fd)
                throw .writeFailed(path: path, step: "chmod", errno: code)
            }
            do {
                try AtomicJSONFile<JSONValue>.matchDirectoryOwner(fd: fd, directory: directory, path: path)
            } catch {
                close(fd)
                throw error
            }
        } else if errno == EEXIST {
            // Never through a symbolic link, never blocking on a FIFO; only a regular file is appended to.
            fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
            if fd < 0 && errno == ELOOP {
                throw .writeFailed(path: path, step: "open (a symbolic link: refused)", errno: ELOOP)
            }
        }
        guard fd >= 0 else { throw .writeFailed(path: path, step: "open", errno: errno) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            throw .writeFailed(path: path, step: "stat", errno: code)
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw .writeFailed(path: path, step: "open (not a regular file: refused)", errno: EINVAL)
        }
        return (fd, Int(info.st_size))
    }

    private func rotate() throws(StateFileError) {
        let numbers: [Int]
        do {
            numbers = try files.rotationNumbers() ?? []
        } catch {
            throw .writeFailed(path: directory, step: "rotate: list files", errno: error.errnoCode)
        }
        for step in layout.rotationSteps(existing: numbers) {
            switch step {
            case .delete(let name):
                let path = directory + "/" + name
                if unlink(path) != 0 && errno != ENOENT { throw .writeFailed(path: path, step: "rotate: delete", errno: errno) }
            case .rename(let from, let to):
                let path = directory + "/" + from
                if rename(path, directory + "/" + to) != 0 && errno != ENOENT {
                    throw .writeFailed(path: path, step: "rotate: rename to \(to)", errno: errno)
                }
            }
        }
    }

    /// The history's files.
    public var files: LogFileSet {
        QuotaHistoryReader.files(directory: directory)
    }
}

extension RequestLogError {
    /// The errno of the failure.
    var errnoCode: Int32 {
        switch self {
        case .writeFailed(_, _, let code), .unreadable(_, let code): code
        case .notRegularFile: ELOOP
        }
    }
}
