import Foundation
import Glibc

/// Who is on the other end of a Unix socket (`SO_PEERCRED`).
public struct PeerCredentials: Sendable, Equatable, CustomStringConvertible {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32

    public init(pid: Int32, uid: UInt32, gid: UInt32) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }

    /// The peer's groups: those of its process (`/proc/<pid>/status`, when visible) and those the
    /// group database gives its user (`getgrouplist`), which still works under `ProtectProc=`.
    public func supplementaryGroups() -> [UInt32] {
        var groups: [UInt32] = []
        if let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) {
            for line in status.split(separator: "\n") where line.hasPrefix("Groups:") {
                groups += line.dropFirst("Groups:".count).split(whereSeparator: \.isWhitespace).compactMap { UInt32($0) }
            }
        }
        var record = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        if getpwuid_r(uid, &record, &buffer, buffer.count, &result) == 0, let user = result?.pointee.pw_name {
            var count: Int32 = 64
            var list = [gid_t](repeating: 0, count: Int(count))
            if getgrouplist(user, gid, &list, &count) >= 0 {
                groups += list.prefix(Int(count))
            }
        }
        return groups
    }

    public var description: String { "pid \(pid) uid \(uid) gid \(gid)" }
}

/// Who may use a service's control socket: root, the service's own user, or a member of the
/// service's group. The socket file's mode (0660) already keeps others out; this is the check
/// that holds even if the file's mode or owner is changed.
public struct PeerAccessPolicy: Sendable {
    public var allowedUIDs: Set<UInt32>
    public var allowedGID: UInt32

    public init(allowedUIDs: Set<UInt32>, allowedGID: UInt32) {
        self.allowedUIDs = allowedUIDs
        self.allowedGID = allowedGID
    }

    /// Root, this process's effective user, and its effective group.
    public static var currentProcess: PeerAccessPolicy {
        PeerAccessPolicy(allowedUIDs: [0, geteuid()], allowedGID: getegid())
    }

    public func allows(_ peer: PeerCredentials) -> Bool {
        allowedUIDs.contains(peer.uid) || peer.gid == allowedGID || peer.supplementaryGroups().contains(allowedGID)
    }
}
