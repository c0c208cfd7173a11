import HTTPTypes

extension HTTPField.Name {
    static let xAPIKey = Self("x-api-key")!
    static let anthropicVersion = Self("anthropic-version")!
    static let xRateLimitLimitRequests = Self("x-ratelimit-limit-requests")!
    static let xRateLimitRemainingRequests = Self("x-ratelimit-remaining-requests")!
    static let xRateLimitResetRequests = Self("x-ratelimit-reset-requests")!
    static let anthropicRateLimitRequestsLimit = Self("anthropic-ratelimit-requests-limit")!
    static let anthropicRateLimitRequestsRemaining = Self("anthropic-ratelimit-requests-remaining")!
    static let anthropicRateLimitRequestsReset = Self("anthropic-ratelimit-requests-reset")!
    static let xSimChunkDelay = Self("x-sim-chunk-delay-ms")!
    static let xSimChunks = Self("x-sim-chunks")!
    static let xRequestID = Self("x-request-id")!
}
