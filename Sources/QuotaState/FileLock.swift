import Glibc

/// An exclusive advisory lock (`flock`) on a lock file, serializing read-modify-write cycles across
/// processes and threads (each ``FileLock`` opens its own file description, so two in the same
/// process exclude each other too).
public struct FileLock: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// Runs `body` while holding the lock, blocking until it is free.
    public func withLock<T>(_ body: () throws -> T) throws -> T {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o640)
        guard fd >= 0 else { throw StateFileError.lockFailed(path: path, errno: errno) }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            guard errno == EINTR else { throw StateFileError.lockFailed(path: path, errno: errno) }
        }
        defer { _ = flock(fd, LOCK_UN) }
        return try body()
    }
}
