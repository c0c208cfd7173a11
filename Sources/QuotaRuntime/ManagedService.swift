import QuotaCore
import QuotaControl

/// What each of the three services supplies to ``ServiceRunner``: its work loop, its control
/// commands, how it applies a new configuration, and how it describes itself.
public protocol ManagedService: Sendable {
    /// Adds the service's own commands to its control socket (`status` is added by the runner).
    func registerCommands(into router: inout ControlCommandRouter)

    /// The service's work, until graceful shutdown (SIGTERM). Call `ready()` once the service can
    /// do its job (e.g. its HTTP port is open); `READY=1` is sent when that and the control socket
    /// are both up.
    func run(ready: @escaping @Sendable () async -> Void) async throws

    /// Applies a configuration re-read on SIGHUP. Throwing keeps the old configuration.
    func reload(configuration: QuotaProxyConfiguration) async throws

    /// The one-line summary for `STATUS=` and `quota-proxyctl status`.
    func statusLine() async -> String

    /// Service-specific fields of the `status` answer.
    func statusDetails() async -> [String: JSONValue]
}
