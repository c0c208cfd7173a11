/// How a service shares out its descriptors (the open-file limit, `RLIMIT_NOFILE`): those in use
/// apart from accepted connections, a reserve that accepting never takes, and what is left for
/// the connections it accepts. Pure arithmetic; ``DescriptorLedger`` applies it as connections
/// come and go.
///
/// Why a reserve: libdispatch (Swift concurrency's executor on Linux) opens `/proc/<tid>/stat`
/// once a second while work is queued and kills the process (SIGILL) when that `open` fails, and
/// the state files, the journal, outbound connections and name lookups need descriptors too. A
/// service whose accepted connections stop short of the reserve never gets there by accepting.
public struct DescriptorBudget: Sendable, Equatable, CustomStringConvertible {
    /// Descriptors kept free of accepted connections: a state-file write takes three (lock,
    /// temporary file, folder), the refresher refreshes four accounts at a time, the scheduler
    /// runs three warmups, a name lookup takes one or two, libdispatch's check one.
    public static let defaultReserve = 64
    /// The most connections one control socket keeps open.
    public static let maximumControlConnections = 256
    /// Descriptors one client connection of the proxy is counted for: its own and the upstream
    /// connection its request holds.
    public static let clientConnectionWeight = 2

    /// The soft open-file limit.
    public var limit: Int
    /// Descriptors open that are not accepted connections (listeners, event loops, files, the
    /// journal, upstream connections kept idle).
    public var inUse: Int
    /// Descriptors accepted connections never take.
    public var reserve: Int

    public init(limit: Int, inUse: Int, reserve: Int = DescriptorBudget.defaultReserve) {
        self.limit = limit
        self.inUse = inUse
        self.reserve = reserve
    }

    /// Descriptors accepted connections may hold together: the limit less those in use and the
    /// reserve (0 when nothing is left).
    public var forConnections: Int { max(0, limit - inUse - reserve) }

    /// The most connections a control socket keeps open: an eighth of the limit less the reserve,
    /// at most ``maximumControlConnections``, at least 1. (Not of ``forConnections``: the
    /// descriptors in use are counted again once the service is up, and the cap stays the same.)
    public var controlConnections: Int {
        min(Self.maximumControlConnections, max(1, (limit - reserve) / 8))
    }

    /// The proxy's `listen.max_connections` when it is 0 (derived): what ``controlConnections``
    /// leave of ``forConnections``, halved (``clientConnectionWeight``), at least 1. With the
    /// usual soft limit of 1024 and 30 in use: 405; with `LimitNOFILE=65536`: 32,593.
    public var clientConnections: Int {
        max(1, (forConnections - controlConnections) / Self.clientConnectionWeight)
    }

    /// Whether a connection counted for `weight` descriptors may be accepted while accepted
    /// connections hold `held`: only when all of them still stop short of the reserve.
    public func admits(_ weight: Int, held: Int) -> Bool {
        held + weight <= forConnections
    }

    /// `open-file limit 1024, 30 in use besides connections, 64 kept in reserve`, for log lines.
    public var description: String {
        "open-file limit \(limit), \(inUse) in use besides connections, \(reserve) kept in reserve"
    }
}
