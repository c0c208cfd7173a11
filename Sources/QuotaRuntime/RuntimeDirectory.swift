/// Where the control sockets live (`/run/quota-proxy` by default): `proxy.sock`,
/// `scheduler.sock`, `refresher.sock`.
public struct RuntimeDirectory: Sendable {
    public static let defaultPath = "/run/quota-proxy"

    public let path: String

    public init(path: String) {
        self.path = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }

    /// `--runtime-dir`, else `$RUNTIME_DIRECTORY` (systemd's `RuntimeDirectory=`), else `/run/quota-proxy`.
    public static func resolve(flag: String?, environment: [String: String]) -> RuntimeDirectory {
        if let flag, !flag.isEmpty { return RuntimeDirectory(path: flag) }
        if let fromSystemd = environment["RUNTIME_DIRECTORY"]?.split(separator: ":").first, !fromSystemd.isEmpty {
            return RuntimeDirectory(path: String(fromSystemd))
        }
        return RuntimeDirectory(path: defaultPath)
    }

    public func socketPath(for service: ServiceIdentity) -> String {
        "\(path)/\(service.socketName)"
    }
}

/// The three services, with their names as systemd, the journal and the sockets know them.
public enum ServiceIdentity: String, Sendable, CaseIterable {
    case proxy = "quota-proxy"
    case scheduler = "quota-scheduler"
    case refresher = "quota-refresher"

    /// The control socket's file name in the runtime folder.
    public var socketName: String {
        switch self {
        case .proxy: "proxy.sock"
        case .scheduler: "scheduler.sock"
        case .refresher: "refresher.sock"
        }
    }
}
