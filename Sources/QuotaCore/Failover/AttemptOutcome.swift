/// How one attempt of a proxied request at one account ended, as the request log, the metrics
/// and the logs name it.
public enum AttemptOutcome: String, Sendable, Equatable, CaseIterable {
    /// The answer was relayed (2xx, or an error the client gets as it is).
    case ok
    /// The account's quota for the model is used up (SPEC 2.2).
    case quotaExhausted = "quota_exhausted"
    /// 429 without a quota message.
    case rateLimited = "rate_limited"
    /// A rate limit whose window ran out (SPEC 2.6): the account is paced until the window resets.
    case paced
    /// 401/403.
    case authFailure = "auth_failure"
    /// 5xx, a refused or reset connection, a malformed answer.
    case serviceError = "service_error"
    /// No answer head within `routing.upstream_head_timeout_seconds`.
    case timeout
    /// A 4xx the client gets as it is.
    case clientError = "client_error"
    /// The upstream failed after bytes had reached the client: the answer was cut off.
    case brokenStream = "broken_stream"
    /// The client went away before the answer ended.
    case clientGone = "client_gone"

    /// The outcome of an upstream answer's class.
    public init(_ outcome: UpstreamOutcome) {
        switch outcome {
        case .success: self = .ok
        case .quotaExhausted: self = .quotaExhausted
        case .rateLimited: self = .rateLimited
        case .authFailure: self = .authFailure
        case .serviceError: self = .serviceError
        case .clientError: self = .clientError
        }
    }

    /// Whether the account simply had no quota or rate left (waiting helps), as opposed to failing.
    public var isQuotaOrRate: Bool {
        self == .quotaExhausted || self == .rateLimited || self == .paced
    }
}
