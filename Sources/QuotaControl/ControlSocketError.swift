/// Why a control socket could not be opened or used.
public enum ControlSocketError: Error, Sendable, CustomStringConvertible {
    /// Another live process already answers on this socket.
    case alreadyInUse(path: String)
    /// Something that is not a socket sits at the socket's path.
    case notASocket(path: String)
    /// The path is longer than a Unix socket address allows (108 bytes).
    case pathTooLong(path: String)
    /// A system call failed while preparing the socket.
    case systemCallFailed(path: String, call: String, errno: Int32)

    public var description: String {
        switch self {
        case .alreadyInUse(let path):
            "another process is already answering on \(path); stop it first (is the service running twice?)"
        case .notASocket(let path):
            "\(path) exists and is not a socket; remove it or choose another --runtime-dir"
        case .pathTooLong(let path):
            "socket path \(path) is longer than the 107 bytes a Unix socket allows; choose a shorter --runtime-dir"
        case .systemCallFailed(let path, let call, let code):
            "\(call) on \(path) failed: \(String(cString: strerror(code)))"
        }
    }
}

import Glibc
