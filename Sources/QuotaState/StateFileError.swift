import Glibc

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

    public var path: String {
        switch self {
        case .unreadable(let path, _), .corrupt(let path, _), .writeFailed(let path, _, _),
            .lockFailed(let path, _), .encodingFailed(let path, _):
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
        }
    }

    static func message(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
