import Foundation
import Testing

@testable import QuotaCore

private let now = Date(timeIntervalSince1970: 1_800_000_000)
private let noHeaders: [(name: String, value: String)] = []

private func classify(_ status: Int, _ body: String = "", headers: [(String, String)] = []) -> UpstreamOutcome {
    UpstreamErrorClassifier.classify(
        status: status, headers: headers.map { (name: $0.0, value: $0.1) }, body: Array(body.utf8), now: now)
}

@Suite struct UpstreamErrorClassifierTests {
    @Test(arguments: [200, 201, 204, 299])
    func success(status: Int) {
        #expect(classify(status, "insufficient_quota") == .success)
    }

    @Test(arguments: [
        #"{"error":{"message":"No remaining quota: No AI requests remaining"}}"#,
        #"{"error":{"type":"insufficient_quota","message":"You exceeded your current quota"}}"#,
        #"{"error":{"message":"You exceeded your current quota, please check your plan"}}"#,
        #"{"error":{"code":429,"status":"RESOURCE_EXHAUSTED"}}"#,
        "Quota Exceeded for this project",
        "QUOTA EXCEEDED",
    ])
    func tooManyRequestsWithQuotaBodyIsExhaustion(body: String) {
        #expect(classify(429, body) == .quotaExhausted(resetAt: nil))
    }

    @Test func exhaustionTakesTheResetFromRateLimitHeaders() {
        let outcome = classify(
            429, "insufficient_quota",
            headers: [
                ("x-ratelimit-limit-requests", "100"), ("x-ratelimit-remaining-requests", "0"),
                ("x-ratelimit-reset-requests", "1h"), ("retry-after", "5"),
            ])
        #expect(outcome == .quotaExhausted(resetAt: now.addingTimeInterval(3600)))
        let anthropic = classify(
            429, "No remaining quota", headers: [("anthropic-ratelimit-requests-reset", "2026-11-22T18:00:00Z")])
        #expect(anthropic == .quotaExhausted(resetAt: Timestamp.parse("2026-11-22T18:00:00Z")))
    }

    @Test func exhaustionFallsBackToRetryAfter() {
        #expect(classify(429, "insufficient_quota", headers: [("Retry-After", "30")]) == .quotaExhausted(resetAt: now.addingTimeInterval(30)))
    }

    @Test func paymentRequiredIsExhaustion() {
        #expect(classify(402, "pay up") == .quotaExhausted(resetAt: nil))
    }

    @Test func otherClientErrorsWithQuotaBodyAreExhaustion() {
        #expect(classify(400, #"{"error":{"message":"Your credit balance is too low"}}"#) == .quotaExhausted(resetAt: nil))
        #expect(classify(403, #"{"error":{"status":"RESOURCE_EXHAUSTED"}}"#) == .quotaExhausted(resetAt: nil))
    }

    @Test func plainTooManyRequestsIsRateLimited() {
        #expect(classify(429, #"{"error":{"type":"rate_limit_error"}}"#) == .rateLimited(until: nil))
    }

    @Test func rateLimitedUntilRetryAfterSeconds() {
        #expect(classify(429, "slow down", headers: [("retry-after", "17")]) == .rateLimited(until: now.addingTimeInterval(17)))
    }

    @Test func rateLimitedUntilRetryAfterHTTPDate() {
        #expect(
            classify(429, "", headers: [("Retry-After", "Sun, 22 Nov 2026 18:00:00 GMT")])
                == .rateLimited(until: Timestamp.parse("2026-11-22T18:00:00Z")))
    }

    @Test func rateLimitedUntilTheExhaustedWindowsReset() {
        let outcome = classify(
            429, "",
            headers: [
                ("x-ratelimit-remaining-requests", "4"), ("x-ratelimit-reset-requests", "5s"),
                ("x-ratelimit-remaining-tokens", "0"), ("x-ratelimit-reset-tokens", "45s"),
            ])
        #expect(outcome == .rateLimited(until: now.addingTimeInterval(45)))
    }

    @Test func retryAfterWinsOverResetHeadersForRateLimits() {
        let outcome = classify(429, "", headers: [("x-ratelimit-reset-requests", "45s"), ("retry-after", "3")])
        #expect(outcome == .rateLimited(until: now.addingTimeInterval(3)))
    }

    @Test(arguments: [401, 403])
    func authFailure(status: Int) {
        #expect(classify(status, #"{"error":"invalid api key"}"#) == .authFailure)
    }

    @Test func unauthorizedIsAuthEvenWithQuotaWords() {
        #expect(classify(401, "insufficient_quota") == .authFailure)
    }

    @Test(arguments: [500, 502, 503, 504, 529, 408, 301, 302, 100, 600, 0, -1])
    func serviceError(status: Int) {
        #expect(classify(status, "oops") == .serviceError)
    }

    @Test(arguments: [400, 404, 405, 409, 413, 415, 422, 451])
    func clientError(status: Int) {
        #expect(classify(status, #"{"error":{"message":"bad field"}}"#) == .clientError)
    }

    @Test func transportFailuresAreServiceErrors() {
        for failure in TransportFailure.allCases {
            #expect(UpstreamErrorClassifier.classify(failure) == .serviceError)
        }
    }

    @Test func onlyTheFirst8KiBAreInspected() {
        let padding = String(repeating: " ", count: 8192)
        #expect(classify(429, padding + "insufficient_quota") == .rateLimited(until: nil))
        let inside = String(repeating: " ", count: 8192 - 18) + "insufficient_quota"
        #expect(classify(429, inside) == .quotaExhausted(resetAt: nil))
    }

    @Test func worksOnNonContiguousCollections() {
        let body = "x".utf8.lazy.map { $0 } + Array("  RESOURCE_EXHAUSTED".utf8)
        #expect(UpstreamErrorClassifier.bodyIndicatesQuotaExhaustion(body))
        let slice = Array("ab insufficient_quota cd".utf8)[3...]
        #expect(UpstreamErrorClassifier.bodyIndicatesQuotaExhaustion(slice))
        #expect(!UpstreamErrorClassifier.bodyIndicatesQuotaExhaustion(Array("insufficient_quot".utf8)))
        #expect(!UpstreamErrorClassifier.bodyIndicatesQuotaExhaustion([UInt8]()))
    }

    @Test func bodylessClassification() {
        #expect(UpstreamErrorClassifier.classify(status: 429, headers: noHeaders, now: now) == .rateLimited(until: nil))
        #expect(UpstreamErrorClassifier.classify(status: 402, headers: noHeaders, now: now) == .quotaExhausted(resetAt: nil))
    }

    @Test func retryability() {
        #expect(UpstreamOutcome.quotaExhausted(resetAt: nil).shouldTryNextAccount)
        #expect(UpstreamOutcome.rateLimited(until: nil).shouldTryNextAccount)
        #expect(UpstreamOutcome.authFailure.shouldTryNextAccount)
        #expect(UpstreamOutcome.serviceError.shouldTryNextAccount)
        #expect(!UpstreamOutcome.clientError.shouldTryNextAccount)
        #expect(!UpstreamOutcome.success.shouldTryNextAccount)
    }
}
