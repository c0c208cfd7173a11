import ArgumentParser
import Logging

/// The options every quota-proxy service takes.
public struct ServiceOptions: ParsableArguments, Sendable {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Configuration file.",
            discussion: "Default: $QUOTA_PROXY_CONFIG, else /etc/quota-proxy/config.json (all defaults when absent).",
            valueName: "file"))
    public var config: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Shared state folder (accounts/, warmup_history.json, ...).",
            discussion: "Default: $STATE_DIRECTORY (set by systemd's StateDirectory=), else /var/lib/quota-proxy.",
            valueName: "dir"))
    public var stateDir: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Folder of the control sockets (proxy.sock, scheduler.sock, refresher.sock).",
            discussion: "Default: $RUNTIME_DIRECTORY (set by systemd's RuntimeDirectory=), else /run/quota-proxy.",
            valueName: "dir"))
    public var runtimeDir: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Log level: trace, debug, info, notice, warning, error, critical.",
            discussion: "Default: $LOG_LEVEL, else info.", valueName: "level"))
    public var logLevel: String?

    public init() {}

    public func validate() throws {
        if let logLevel, Logger.Level(rawValue: logLevel) == nil {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
    }

    /// The effective log level.
    public func resolvedLogLevel(environment: [String: String]) -> Logger.Level {
        if let logLevel, let level = Logger.Level(rawValue: logLevel) { return level }
        if let fromEnvironment = environment["LOG_LEVEL"].flatMap({ Logger.Level(rawValue: $0.lowercased()) }) {
            return fromEnvironment
        }
        return .info
    }
}
