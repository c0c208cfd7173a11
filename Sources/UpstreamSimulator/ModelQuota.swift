import Foundation

/// The request quota of one model on one simulated key.
///
/// JSON: `{"limit": 100, "remaining": 80, "reset_seconds": 3600}`. The window starts when the
/// quota is configured (file load, admin call, key creation); when `reset_seconds` have elapsed
/// since the window started, `remaining` returns to `limit` and a new window starts.
public struct ModelQuota: Codable, Sendable, Equatable {
    /// Requests allowed per window.
    public var limit: Int
    /// Requests left in the current window.
    public var remaining: Int
    /// Window length in seconds, counted from when the quota was configured.
    public var resetSeconds: Int

    /// The quota used for models a non-strict key does not list: effectively unlimited.
    public static let unlimited = ModelQuota(limit: 1000, remaining: 1000, resetSeconds: 60)

    /// Creates a quota; `remaining` defaults to `limit`, `resetSeconds` to one hour.
    public init(limit: Int, remaining: Int? = nil, resetSeconds: Int = 3600) {
        self.limit = limit
        self.remaining = remaining ?? limit
        self.resetSeconds = resetSeconds
    }

    enum CodingKeys: String, CodingKey {
        case limit
        case remaining
        case resetSeconds = "reset_seconds"
    }

    /// Decodes a quota; `remaining` defaults to `limit`, `reset_seconds` to 3600.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.limit = try container.decode(Int.self, forKey: .limit)
        self.remaining = try container.decodeIfPresent(Int.self, forKey: .remaining) ?? self.limit
        self.resetSeconds = try container.decodeIfPresent(Int.self, forKey: .resetSeconds) ?? 3600
    }

    /// Checks the invariants `0 <= remaining <= limit` and `reset_seconds >= 1`.
    public func validate(context: String) throws(SimulatorError) {
        guard limit >= 0 else { throw .invalidConfiguration("\(context).limit must be >= 0 (got \(limit))") }
        guard remaining >= 0, remaining <= limit else {
            throw .invalidConfiguration("\(context).remaining must be between 0 and limit \(limit) (got \(remaining))")
        }
        guard resetSeconds >= 1 else {
            throw .invalidConfiguration("\(context).reset_seconds must be >= 1 (got \(resetSeconds))")
        }
    }
}
