#if canImport(Glibc)
    import Glibc
#endif

/// The `sockaddr_un` of a socket file, for `connect` and `bind` on Unix stream sockets (the
/// control sockets, and tests that talk to them below ``ControlClient``).
public enum UnixSocketAddress {
    /// `connect(2)` of `fd` to the socket file at `path` (shorter than 108 bytes): 0, or -1 with
    /// `errno` set.
    public static func connect(_ fd: Int32, to path: String) -> Int32 {
        withAddress(of: path) { Glibc.connect(fd, $0, $1) }
    }

    /// `bind(2)` of `fd` to a new socket file at `path` (shorter than 108 bytes): 0, or -1 with
    /// `errno` set.
    public static func bind(_ fd: Int32, to path: String) -> Int32 {
        withAddress(of: path) { Glibc.bind(fd, $0, $1) }
    }

    private static func withAddress(of path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8.prefix(raw.count - 1))
            raw[min(path.utf8.count, raw.count - 1)] = 0
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }
}
