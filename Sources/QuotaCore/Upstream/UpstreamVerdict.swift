import Foundation

/// An upstream answer's class (``UpstreamOutcome``) with the limit signals behind it, from
/// ``UpstreamErrorClassifier/assess(status:headers:body:now:maxResetHintSeconds:)``.
public struct UpstreamVerdict: Sendable, Equatable {
    public var outcome: UpstreamOutcome
    /// What the error body said, when it is one of the known limit shapes.
    public var bodySignal: ErrorBodySignal?
    /// The answer is a 429 because a rate-limit window ran out (a per-minute header at 0, or
    /// `RATE_LIMIT_EXCEEDED`): the account is paced until the window resets (request log outcome
    /// `paced`), rather than rate limited for an unknown reason.
    public var paces: Bool

    public init(outcome: UpstreamOutcome, bodySignal: ErrorBodySignal? = nil, paces: Bool = false) {
        self.outcome = outcome
        self.bodySignal = bodySignal
        self.paces = paces
    }

    /// The window the body stands for, for `model` (none for capacity errors or without a signal).
    public func bodyWindow(model: String, now: Date, maxResetHintSeconds: Int = QuotaWindows.defaultMaxResetHintSeconds)
        -> QuotaWindow?
    {
        bodySignal?.window(model: model, now: now, maxResetHintSeconds: maxResetHintSeconds)
    }

    /// The name the request log and metrics give the attempt: ``UpstreamOutcome/name``, or `paced`.
    public var attemptOutcome: String {
        paces ? "paced" : outcome.name
    }
}
