import Foundation

/// A fault injected on a simulated key.
///
/// JSON: `{"mode": "rate_limited", "retry_after": 5, "fail_count": 2, "delay_ms": 1500, "paths": ["/v1/chat/completions"]}`.
/// Every field but `mode` is optional.
public struct Fault: Codable, Sendable, Equatable {
    /// What happens.
    public var mode: FaultMode
    /// Seconds announced in `Retry-After` for `rate_limited` (default 1).
    public var retryAfter: Int?
    /// The fault applies to the next `fail_count` matching requests only, then the key reverts to
    /// `none`. Absent: the fault stays until changed.
    public var failCount: Int?
    /// Delay in milliseconds for `slow` (default 1000).
    public var delayMilliseconds: Int?
    /// Restricts the fault to requests whose path is listed. Absent: every authenticated route
    /// (model routes, `/v1/models` and the quota endpoints; `malformed_quota` only ever affects the
    /// quota endpoints).
    public var paths: [String]?

    /// Creates a fault.
    public init(mode: FaultMode, retryAfter: Int? = nil, failCount: Int? = nil, delayMilliseconds: Int? = nil, paths: [String]? = nil) {
        self.mode = mode
        self.retryAfter = retryAfter
        self.failCount = failCount
        self.delayMilliseconds = delayMilliseconds
        self.paths = paths
    }

    /// No fault.
    public static let none = Fault(mode: .none)

    enum CodingKeys: String, CodingKey {
        case mode
        case retryAfter = "retry_after"
        case failCount = "fail_count"
        case delayMilliseconds = "delay_ms"
        case paths
    }

    /// Checks that the numbers are non-negative.
    public func validate(context: String) throws(SimulatorError) {
        if let retryAfter, retryAfter < 0 { throw .invalidConfiguration("\(context).retry_after must be >= 0") }
        if let failCount, failCount < 1 { throw .invalidConfiguration("\(context).fail_count must be >= 1 when present") }
        if let delayMilliseconds, delayMilliseconds < 0 || delayMilliseconds > 600_000 {
            throw .invalidConfiguration("\(context).delay_ms must be between 0 and 600000")
        }
    }

    /// Whether this fault concerns a request to `path`.
    func applies(to path: String, isQuotaEndpoint: Bool) -> Bool {
        if mode == .none { return false }
        if mode == .malformedQuota && !isQuotaEndpoint { return false }
        if let paths, !paths.contains(path) { return false }
        return true
    }
}
