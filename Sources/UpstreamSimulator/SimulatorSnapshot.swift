import Foundation

/// Everything the simulator knows, as answered by `GET /admin/state`.
///
/// JSON: `{"configuration": {...current SimulatorConfiguration, live counters...},
/// "stats": {"<key>": KeyStats}, "counters": SimulatorCounters, "reset_at": {"<key>": {"<model>": "<RFC3339>"}}}`.
public struct SimulatorSnapshot: Codable, Sendable, Equatable {
    /// The live configuration: `remaining` values are the current counters, `reset_seconds` the window length.
    public var configuration: SimulatorConfiguration
    /// Per-key request statistics.
    public var stats: [String: KeyStats]
    /// Global counters.
    public var counters: SimulatorCounters
    /// When each key's model windows refill (RFC 3339, UTC).
    public var resetAt: [String: [String: String]]

    /// Creates a snapshot.
    public init(configuration: SimulatorConfiguration, stats: [String: KeyStats], counters: SimulatorCounters, resetAt: [String: [String: String]]) {
        self.configuration = configuration
        self.stats = stats
        self.counters = counters
        self.resetAt = resetAt
    }

    enum CodingKeys: String, CodingKey {
        case configuration
        case stats
        case counters
        case resetAt = "reset_at"
    }
}
