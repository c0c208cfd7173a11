import Glibc
import QuotaCore

/// Why a state file could not be read or written. Every case names the file and says what to do.
public enum StateFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file exists but could not be opened or read (permissions, I/O error).
    case unreadable(path: String, errno: Int32)
    /// The file was read but is not a valid document of the expected kind. It is left on disk untouched.
    case corrupt(path: String, reason: String)
    /// A step of the atomic write failed; the previous version of the file is still in place.
    case writeFailed(path: String, step: String, errno: Int32)
    /// The lock file that serializes read-modify-write could not be taken.
    case lockFailed(path: String, errno: Int32)
    /// The value could not be encoded (a programming error, reported instead of writing garbage).
    case encodingFailed(path: String, reason: String)
    /// The path is a symbolic link; state files are read only as regular files of the state folder.
    case symbolicLink(path: String)
    /// The path is not a regular file (a FIFO, a device, a socket, a folder); it is never opened
    /// for reading, so it cannot block or flood the service.
    case notRegularFile(path: String, kind: String)
    /// The file is larger than the cap for its kind; it is not read.
    case tooLarge(path: String, size: Int, limit: Int)
    /// An account id that cannot name a file (`../x`, `a/b`, empty, …); nothing was touched.
    case invalidAccountID(directory: String, id: String)
    /// Someone removed or rewrote the file (without the folder lock: `rm`, an editor) while it was
    /// being updated: their version is kept and the update dropped, never written over it.
    case changedDuringUpdate(path: String)

    public var path: String {
        switch self {
        case .unreadable(let path, _), .corrupt(let path, _), .writeFailed(let path, _, _),
            .lockFailed(let path, _), .encodingFailed(let path, _), .symbolicLink(let path),
            .notRegularFile(let path, _), .tooLarge(let path, _, _), .invalidAccountID(let path, _),
            .changedDuringUpdate(let path):
            path
        }
    }

    public var description: String {
        switch self {
        case .unreadable(let path, let code):
            "cannot read \(path): \(Self.message(code)); check its owner and mode (the services run as user quota-proxy)"
        case .corrupt(let path, let reason):
            "\(path) is not valid and was skipped (left on disk unchanged): \(reason)"
        case .writeFailed(let path, let step, let code):
            "cannot write \(path) (\(step) failed: \(Self.message(code))); the previous version is unchanged"
        case .lockFailed(let path, let code):
            "cannot lock \(path): \(Self.message(code))"
        case .encodingFailed(let path, let reason):
            "cannot encode the new contents of \(path): \(reason)"
        case .symbolicLink(let path):
            "\(path) is a symbolic link and was skipped (state files are never followed through links); replace it with the file itself"
        case .notRegularFile(let path, let kind):
            "\(path) is \(kind), not a regular file, and was skipped; remove it"
        case .tooLarge(let path, let size, let limit):
            "\(path) is \(size) bytes, over the \(Self.byteText(limit)) limit for this file, and was skipped (left on disk unchanged)"
        case .invalidAccountID(let directory, let id):
            "\(InvalidAccountID(id: id)); nothing in \(directory) was touched"
        case .changedDuringUpdate(let path):
            "\(path) was removed or rewritten by someone else while it was being updated; their version is kept and this update was dropped"
        }
    }

    /// `1 MiB`, `64 KiB`, `123 bytes`.
    public static func byteText(_ bytes: Int) -> String {
        if bytes >= 1 << 20 && bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10 && bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
    }

    /// `strerror` of an errno value.
    public static func message(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
