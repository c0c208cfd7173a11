import Foundation

import Glibc

/// A JSON state file that is only ever replaced whole.
///
/// A write goes to a temporary file in the same folder, is fsynced, renamed over the target, and the
/// folder is fsynced, so a reader (or a crash at any moment) sees either the old or the new
/// version, never half of one. ``update(_:)`` serializes read-modify-write across processes with
/// ``FileLock`` on the folder's `.lock` file.
public struct AtomicJSONFile<Value: Codable & Sendable>: Sendable {
    /// Absolute path of the file.
    public let path: String
    /// Permission bits of the file (0600 for account files, 0640 for the rest).
    public let mode: mode_t
    /// The largest file ``read()`` accepts; a larger one is refused, not read
    /// (see ``StateFileReader``).
    public let maximumBytes: Int

    public init(path: String, mode: mode_t = 0o640, maximumBytes: Int = StateFileReader.bookFileLimit) {
        self.path = path
        self.mode = mode
        self.maximumBytes = maximumBytes
    }

    var directory: String {
        (path as NSString).deletingLastPathComponent
    }

    /// The lock that serializes writers of every file in this folder.
    public var lock: FileLock {
        FileLock(path: directory + "/.lock")
    }

    /// Reads and decodes the file; `nil` when it does not exist.
    ///
    /// Only a regular file of at most ``maximumBytes`` is read: a symbolic link, FIFO, device or
    /// oversized file is refused with an error naming it (see ``StateFileReader``).
    public func read() throws(StateFileError) -> Value? {
        try readVersion()?.value
    }

    /// The decoded file and which version of it was read; `nil` when it does not exist.
    func readVersion() throws(StateFileError) -> (value: Value, identity: StateFileReader.FileIdentity)? {
        guard let contents = try StateFileReader.read(path: path, limit: maximumBytes) else { return nil }
        return (try decode(contents.bytes), contents.identity)
    }

    /// Decodes bytes read from this file; the error names the file and the key at fault.
    func decode(_ bytes: Data) throws(StateFileError) -> Value {
        do {
            return try JSONDecoder().decode(Value.self, from: bytes)
        } catch {
            throw StateFileError.corrupt(path: path, reason: Self.describe(error))
        }
    }

    /// Atomically replaces the file with `value`.
    public func write(_ value: Value) throws(StateFileError) {
        try write(value, replacing: nil)
    }

    /// Atomically replaces the file with `value`; with `replacing`, only while the file is still
    /// that version (else ``StateFileError/changedDuringUpdate(path:)`` and nothing is written).
    func write(_ value: Value, replacing expected: StateFileReader.FileIdentity?) throws(StateFileError) {
        let data: Data
        do {
            data = try Self.encoder.encode(value)
        } catch {
            throw StateFileError.encodingFailed(path: path, reason: "\(error)")
        }
        try Self.writeAtomically(data + [0x0A], to: path, mode: mode, replacing: expected)
    }

    /// Read-modify-write under the folder lock: `body` sees the current value (`nil` when the file
    /// does not exist) and may change it; setting it to `nil` leaves the file as it is.
    /// A corrupt file is never overwritten: the error is thrown and the file stays for inspection.
    ///
    /// Writers that do not take the lock (an operator's `rm` or editor) are not written over: when
    /// the file read was removed or replaced by the time the new version is ready, nothing is
    /// written and ``StateFileError/changedDuringUpdate(path:)`` is thrown (a removed account does
    /// not come back with the proxy's next quota figures).
    @discardableResult
    public func update<T>(_ body: (inout Value?) throws -> T) throws -> T {
        try lock.withLock {
            let version = try readVersion()
            var value = version?.value
            let result = try body(&value)
            if let value { try write(value, replacing: version?.identity) }
            return result
        }
    }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    // MARK: - POSIX

    /// temp file → write → fsync → rename → fsync(folder). With `expected`, the rename happens only
    /// while `path` is still that version of the file (checked just before it).
    static func writeAtomically(
        _ data: Data, to path: String, mode: mode_t, replacing expected: StateFileReader.FileIdentity? = nil
    ) throws(StateFileError) {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let temporary = "\(directory)/" + TemporaryFileName.make(for: name)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw StateFileError.writeFailed(path: path, step: "create temporary file", errno: errno) }
        var committed = false
        defer {
            if !committed { unlink(temporary) }
        }
        do {
            defer { close(fd) }
            // open() applies the umask; the mode is part of the contract (0600 for secrets).
            guard fchmod(fd, mode) == 0 else { throw StateFileError.writeFailed(path: path, step: "chmod", errno: errno) }
            try matchDirectoryOwner(fd: fd, directory: directory, path: path)
            let failure: Int32? = data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Int32? in
                var offset = 0
                while offset < raw.count {
                    let written = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        return errno
                    }
                    offset += written
                }
                return nil
            }
            if let failure { throw StateFileError.writeFailed(path: path, step: "write", errno: failure) }
            guard fsync(fd) == 0 else { throw StateFileError.writeFailed(path: path, step: "fsync", errno: errno) }
        }
        if let expected, StateFileReader.FileIdentity.current(path: path) != expected {
            throw StateFileError.changedDuringUpdate(path: path)
        }
        guard rename(temporary, path) == 0 else {
            throw StateFileError.writeFailed(path: path, step: "rename", errno: errno)
        }
        committed = true
        try syncDirectory(directory, path: path)
    }

    /// When root (e.g. `quota-proxyctl`) writes into the services' folder, the file is handed to the
    /// folder's owner, or the services (user quota-proxy) could no longer read a 0600 file.
    static func matchDirectoryOwner(fd: Int32, directory: String, path: String) throws(StateFileError) {
        guard geteuid() == 0 else { return }
        var info = stat()
        guard stat(directory, &info) == 0 else { return }
        guard info.st_uid != 0 || info.st_gid != 0 else { return }
        guard fchown(fd, info.st_uid, info.st_gid) == 0 else {
            throw StateFileError.writeFailed(path: path, step: "chown", errno: errno)
        }
    }

    static func syncDirectory(_ directory: String, path: String) throws(StateFileError) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw StateFileError.writeFailed(path: path, step: "open folder for fsync", errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw StateFileError.writeFailed(path: path, step: "fsync folder", errno: errno) }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context):
            let key = context.codingPath.map(\.stringValue).filter { !$0.isEmpty }.joined(separator: ".")
            let underlying = context.underlyingError.map { " (\($0))" } ?? ""
            return (key.isEmpty ? "" : "\(key): ") + context.debugDescription + underlying
        case DecodingError.keyNotFound(let key, let context):
            let parent = context.codingPath.map(\.stringValue).joined(separator: ".")
            return "missing key \"\(parent.isEmpty ? "" : parent + ".")\(key.stringValue)\""
        case DecodingError.typeMismatch(let type, let context):
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            return "\(key): expected \(type)"
        case DecodingError.valueNotFound(let type, let context):
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            return "\(key): expected \(type), found null"
        default:
            return "\(error)"
        }
    }
}
