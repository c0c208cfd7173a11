import Foundation

/// A rate limit with nothing left (SPEC 2.6 "rate limits pace"): the account — for one model or
/// as a whole — is set aside until the window resets, so the next request goes elsewhere instead
/// of earning a 429. Never touches `protected_models` or warmup history.
public struct RatePacing: Sendable, Equatable {
    /// The model whose group is paced; `nil` paces every model of the account.
    public var model: String?
    /// When the window resets (clamped by `routing.max_reset_hint_seconds`).
    public var until: Date

    public init(model: String?, until: Date) {
        self.model = model
        self.until = until
    }
}
