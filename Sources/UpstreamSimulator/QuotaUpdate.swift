import Foundation

/// Body of `POST /admin/keys/{key}/quota`: sets one model's quota and starts a new window now.
///
/// JSON: `{"model": "m", "remaining": 0, "limit": 100, "reset_seconds": 60}`. Absent fields keep the
/// model's current values (for a model the key did not list: limit 1000, remaining = limit,
/// reset_seconds 3600).
public struct QuotaUpdate: Codable, Sendable, Equatable {
    /// The model to set.
    public var model: String
    /// New remaining count.
    public var remaining: Int?
    /// New limit.
    public var limit: Int?
    /// New window length.
    public var resetSeconds: Int?

    /// Creates an update.
    public init(model: String, remaining: Int? = nil, limit: Int? = nil, resetSeconds: Int? = nil) {
        self.model = model
        self.remaining = remaining
        self.limit = limit
        self.resetSeconds = resetSeconds
    }

    enum CodingKeys: String, CodingKey {
        case model
        case remaining
        case limit
        case resetSeconds = "reset_seconds"
    }

    /// Applies the update on top of an existing quota (or the defaults).
    func applied(to current: ModelQuota?) -> ModelQuota {
        let limit = self.limit ?? current?.limit ?? 1000
        let remaining = self.remaining ?? min(current?.remaining ?? limit, limit)
        return ModelQuota(limit: limit, remaining: remaining, resetSeconds: resetSeconds ?? current?.resetSeconds ?? 3600)
    }
}
