import Foundation

/// How the proxy must treat one upstream answer (SPEC 2.2, "Error classes").
public enum UpstreamOutcome: Sendable, Equatable {
    /// 2xx: relay it.
    case success
    /// The account's quota for this model is used up: mark (account, group) exhausted until
    /// `resetAt` (or by backoff when `nil`) and try the next account or tier.
    case quotaExhausted(resetAt: Date?)
    /// 429 without a quota message: cool (account, group) down until `until` (a default when `nil`)
    /// and try the next account.
    case rateLimited(until: Date?)
    /// 401 or 403: refresh the token once, else cool the account down; try the next account.
    case authFailure
    /// 5xx, 408, 3xx or a transport failure: try the next account and count toward the circuit
    /// breaker.
    case serviceError
    /// Any other 4xx (400, 404, 413, 422…): the request itself is wrong; return the upstream's answer
    /// to the client at once.
    case clientError

    /// Whether another account may be tried (as long as no byte reached the client yet).
    public var shouldTryNextAccount: Bool {
        switch self {
        case .quotaExhausted, .rateLimited, .authFailure, .serviceError: true
        case .success, .clientError: false
        }
    }

    /// A short stable name for logs and metrics (`quota_exhausted`, `rate_limited`…).
    public var name: String {
        switch self {
        case .success: "success"
        case .quotaExhausted: "quota_exhausted"
        case .rateLimited: "rate_limited"
        case .authFailure: "auth_failure"
        case .serviceError: "service_error"
        case .clientError: "client_error"
        }
    }
}
