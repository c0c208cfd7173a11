import Foundation

/// `warmup_history.json`: when each (account, model) pair was last warmed at 100%, as
/// `{"<account-id>:<model>:100": <unix seconds>}`.
public struct WarmupHistory: Sendable, Equatable {
    /// Entries keyed exactly as in the file.
    public var entries: [String: Int64]

    public init(entries: [String: Int64] = [:]) {
        self.entries = entries
    }

    /// The history key of a pair: `"<account-id>:<model>:100"`.
    public static func key(account: String, model: String) -> String {
        "\(account):\(model):100"
    }

    public func lastWarmup(account: String, model: String) -> Date? {
        entries[Self.key(account: account, model: model)].map(Timestamp.date(unixSeconds:))
    }

    public mutating func record(account: String, model: String, at date: Date) {
        entries[Self.key(account: account, model: model)] = Timestamp.unixSeconds(date)
    }

    public mutating func remove(account: String, model: String) {
        entries[Self.key(account: account, model: model)] = nil
    }
}

extension WarmupHistory: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        self.entries = try container.decode([String: Int64].self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(entries)
    }
}
