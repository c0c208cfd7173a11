import Glibc

/// Follows a rotated log (``LogFileSet``) like `tail -F`: each ``readNew(_:)`` hands over the
/// complete lines appended since the previous call, each exactly once, oldest first, across
/// rotations. The first call hands over every line of every file.
///
/// It remembers the current file by inode and the offset read up to. After a rotation that file
/// has another name (found again by its inode) and is read on from that offset; the files newer
/// than it are read whole. When the remembered file is gone (rotated out), every file present is
/// newer and is read whole. A last line without its line break is left for the next call (it is
/// still being written, or torn by a crash: the writer then starts a new line, and the torn
/// fragment reaches the caller as one line that does not parse).
///
/// Not thread-safe: one owner calls it at a time.
public struct LogTail: Sendable {
    public let files: LogFileSet
    private var position: (inode: UInt64, offset: Int)?

    /// Files larger than this are read from their last `maximumReadBytes` only (a log is bounded
    /// by its rotation, so this only guards against a foreign file).
    public static let maximumReadBytes = 64 << 20

    public init(files: LogFileSet) {
        self.files = files
    }

    /// Calls `visit` with every complete line appended since the last call (empty lines skipped),
    /// oldest first. Returns the number of lines visited.
    @discardableResult
    public mutating func readNew(_ visit: (UnsafeBufferPointer<UInt8>) -> Void) throws(RequestLogError) -> Int {
        guard let names = try files.namesNewestFirst() else {
            position = nil
            return 0
        }
        // Open all first, newest first, so a rotation while reading shows up as a repeated inode.
        var opened: [(path: String, fd: Int32, inode: UInt64)] = []
        defer { for file in opened { close(file.fd) } }
        var seen: Set<UInt64> = []
        for name in names {
            let path = files.directory + "/" + name
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd < 0 {
                if errno == ENOENT { continue }
                throw .unreadable(path: path, errno: errno)
            }
            var info = stat()
            guard fstat(fd, &info) == 0 else {
                let code = errno
                close(fd)
                throw .unreadable(path: path, errno: code)
            }
            guard seen.insert(UInt64(info.st_ino)).inserted else {
                close(fd)
                continue
            }
            opened.append((path, fd, UInt64(info.st_ino)))
        }
        // Oldest to read first: the remembered file (from its offset) and everything newer.
        var plan: [(index: Int, from: Int)] = []
        if let position, let index = opened.firstIndex(where: { $0.inode == position.inode }) {
            plan.append((index, position.offset))
            for newer in stride(from: index - 1, through: 0, by: -1) { plan.append((newer, 0)) }
        } else {
            for index in stride(from: opened.count - 1, through: 0, by: -1) { plan.append((index, 0)) }
        }
        var visited = 0
        var last: (inode: UInt64, offset: Int)?
        for (index, from) in plan {
            let file = opened[index]
            let (bytes, start) = try Self.read(fd: file.fd, path: file.path, from: from)
            var consumed = start
            bytes.withUnsafeBufferPointer { buffer in
                var lineStart = 0
                for position in 0..<buffer.count where buffer[position] == 0x0A {
                    let line = UnsafeBufferPointer(rebasing: buffer[lineStart..<position])
                    lineStart = position + 1
                    if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
                    visit(line)
                    visited += 1
                }
                consumed += lineStart
            }
            last = (file.inode, consumed)
        }
        position = last ?? position
        return visited
    }

    /// The bytes of the file from `offset` to its end now (the end capped at ``maximumReadBytes``
    /// from the start read), and the offset they start at.
    static func read(fd: Int32, path: String, from offset: Int) throws(RequestLogError) -> ([UInt8], Int) {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .unreadable(path: path, errno: errno) }
        let size = Int(info.st_size)
        // A file shorter than the offset was truncated or replaced: read it from the start.
        var start = offset <= size ? offset : 0
        if size - start > maximumReadBytes { start = size - maximumReadBytes }
        let count = size - start
        guard count > 0 else { return ([], start) }
        var failure: Int32?
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var done = 0
            while done < count {
                let got = pread(fd, buffer.baseAddress! + done, count - done, off_t(start + done))
                if got < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    break
                }
                if got == 0 { break }
                done += got
            }
            initialized = done
        }
        if let failure { throw .unreadable(path: path, errno: failure) }
        return (bytes, start)
    }
}
