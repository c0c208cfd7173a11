import Foundation
import Glibc

/// Reads files the services depend on without letting an odd file hurt them.
///
/// A FIFO, a device or a symbolic link dropped into the state folder must not block a service (an
/// `open` of a FIFO waits for a writer), flood its memory (`/dev/zero` never ends) or make it write
/// through a link. So a state file is `lstat`ed first and only a regular file is opened, with
/// `O_NOFOLLOW | O_NONBLOCK`; the opened descriptor is checked again with `fstat` (the name may have
/// been swapped in between), and no more than the file's cap is ever read.
public enum StateFileReader {
    /// Which files are accepted.
    public enum Policy: Sendable, Equatable {
        /// A file of the state folder: regular files only, never through a symbolic link.
        case stateFile
        /// A file the operator names in the configuration (the config file itself): a symbolic link
        /// to a regular file is followed (configuration management often links files into /etc).
        case followingLinks
    }

    /// What was read: the bytes and the file's permission bits (the low 12 bits of `st_mode`).
    public struct Contents: Sendable {
        public var bytes: Data
        public var permissions: mode_t
        /// Which version of the file was read (to notice it being replaced or removed later).
        public var identity: FileIdentity
    }

    /// One version of a file: its inode, size and modification time. An atomic replacement
    /// (a new inode) or an edit in place (a new size or time) gives another identity.
    public struct FileIdentity: Sendable, Hashable {
        public let device: UInt64
        public let inode: UInt64
        public let size: Int64
        /// The modification time.
        public let seconds: Int
        public let nanoseconds: Int

        init(_ info: stat) {
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
            size = Int64(info.st_size)
            seconds = info.st_mtim.tv_sec
            nanoseconds = info.st_mtim.tv_nsec
        }

        /// The identity of what is at `path` now (never following a link); `nil` when nothing is.
        public static func current(path: String) -> FileIdentity? {
            var info = stat()
            guard lstat(path, &info) == 0 else { return nil }
            return FileIdentity(info)
        }
    }

    /// The largest account file read (1 MiB; a real one is a few KiB).
    public static let accountFileLimit = 1 << 20
    /// The cap of `cooldowns.json` and `warmup_history.json` (16 MiB: tens of thousands of accounts).
    public static let bookFileLimit = 16 << 20
    /// The cap of small state files such as `anonymous.json` (64 KiB).
    public static let smallFileLimit = 64 << 10
    /// The cap of the configuration file (1 MiB).
    public static let configurationFileLimit = 1 << 20

    /// Reads the whole file at `path`; `nil` when nothing is there.
    ///
    /// - Throws: ``StateFileError/symbolicLink(path:)``, ``StateFileError/notRegularFile(path:kind:)``,
    ///   ``StateFileError/tooLarge(path:size:limit:)`` or ``StateFileError/unreadable(path:errno:)``.
    public static func read(path: String, limit: Int, policy: Policy = .stateFile) throws(StateFileError) -> Contents? {
        var info = stat()
        let found = policy == .stateFile ? lstat(path, &info) : stat(path, &info)
        guard found == 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw .unreadable(path: path, errno: errno)
        }
        try check(info, path: path, limit: limit)
        var flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY
        if policy == .stateFile { flags |= O_NOFOLLOW }
        let fd = open(path, flags)
        guard fd >= 0 else {
            switch errno {
            case ENOENT: return nil
            case ELOOP: throw .symbolicLink(path: path)
            default: throw .unreadable(path: path, errno: errno)
            }
        }
        defer { close(fd) }
        guard fstat(fd, &info) == 0 else { throw .unreadable(path: path, errno: errno) }
        try check(info, path: path, limit: limit)
        // Read at most limit + 1 bytes: a file that grew past the cap since fstat is refused too.
        let capacity = min(Int(info.st_size), limit) + 1
        var failure: Int32?
        let bytes = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            var offset = 0
            while offset < capacity {
                let count = Glibc.read(fd, buffer.baseAddress! + offset, capacity - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    break
                }
                if count == 0 { break }
                offset += count
            }
            initialized = offset
        }
        if let failure { throw .unreadable(path: path, errno: failure) }
        if bytes.count > limit { throw .tooLarge(path: path, size: bytes.count, limit: limit) }
        return Contents(bytes: Data(bytes), permissions: info.st_mode & 0o7777, identity: FileIdentity(info))
    }

    /// Refuses anything but a regular file within the cap.
    static func check(_ info: stat, path: String, limit: Int) throws(StateFileError) {
        let type = info.st_mode & S_IFMT
        if type == S_IFLNK { throw .symbolicLink(path: path) }
        guard type == S_IFREG else { throw .notRegularFile(path: path, kind: kindName(type)) }
        if Int(info.st_size) > limit { throw .tooLarge(path: path, size: Int(info.st_size), limit: limit) }
    }

    /// "a FIFO", "a character device", … for messages.
    static func kindName(_ type: mode_t) -> String {
        switch type {
        case S_IFIFO: "a FIFO (named pipe)"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        case S_IFDIR: "a folder"
        case S_IFLNK: "a symbolic link"
        default: "a special file"
        }
    }
}
