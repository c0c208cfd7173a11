import Foundation

/// How a simulated key misbehaves. Raw values are the JSON spellings.
public enum FaultMode: String, Codable, Sendable, CaseIterable {
    /// Normal behaviour.
    case none
    /// 429 with `Retry-After: <retry_after>` and an error of type `rate_limit_exceeded`
    /// (Anthropic: `rate_limit_error`).
    case rateLimited = "rate_limited"
    /// 429 `insufficient_quota` ("No remaining quota: No AI requests remaining") whatever the counters say.
    case quotaExhausted = "quota_exhausted"
    /// 401 as for an invalid key.
    case unauthorized
    /// 500 server error.
    case serverError = "server_error"
    /// 503 service unavailable.
    case unavailable
    /// The TCP connection is reset (SO_LINGER 0 + close: the peer sees an RST) without any answer.
    case reset
    /// The answer is delayed by `delay_ms`, then produced normally.
    case slow
    /// 400 invalid request.
    case badRequest = "bad_request"
    /// The quota endpoints (`/v1internal:fetchAvailableModels`, `/quota`) answer 200 with garbled JSON.
    /// Model routes are not affected by this mode.
    case malformedQuota = "malformed_quota"

    /// Decodes a mode, rejecting unknown spellings with a message that lists the valid ones.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let raw = try container.decode(String.self)
        guard let mode = FaultMode(rawValue: raw) else {
            let valid = FaultMode.allCases.map(\.rawValue).joined(separator: ", ")
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "unknown fault mode '\(raw)'; expected one of: \(valid)"
            )
        }
        self = mode
    }
}
