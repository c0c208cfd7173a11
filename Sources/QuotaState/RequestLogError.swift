import Glibc

/// Why the request log could not be written or read. Every case names the file (or folder) and the
/// step, and says what to check.
public enum RequestLogError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Appending failed at `step` (create folder, open, write, rotate, fdatasync, …). The records of
    /// that batch were not logged; the log itself stays readable.
    case writeFailed(path: String, step: String, errno: Int32)
    /// A log file or the log folder exists but cannot be read.
    case unreadable(path: String, errno: Int32)
    /// A log file's name is taken by something that is not a regular file (a symbolic link, a
    /// FIFO, a device); it is neither read nor written.
    case notRegularFile(path: String, kind: String)

    /// The file or folder at fault.
    public var path: String {
        switch self {
        case .writeFailed(let path, _, _), .unreadable(let path, _), .notRegularFile(let path, _): path
        }
    }

    public var description: String {
        switch self {
        case .writeFailed(let path, let step, let code):
            "cannot append to the request log \(path) (\(step) failed: \(StateFileError.message(code))); "
                + "the records of this batch were not logged. Check free space and that user quota-proxy can write "
                + "\(Self.folder(of: path))"
        case .unreadable(let path, let code):
            "cannot read the request log \(path): \(StateFileError.message(code)); "
                + "run as root or as a member of group quota-proxy"
        case .notRegularFile(let path, let kind):
            "the request log \(path) is \(kind), not a regular file, and is neither read nor written; remove it"
        }
    }

    static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
