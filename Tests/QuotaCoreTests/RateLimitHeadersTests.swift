import Foundation
import Testing

@testable import QuotaCore

private let now = Date(timeIntervalSince1970: 1_800_000_000)

private func headers(_ pairs: [(String, String)]) -> [(name: String, value: String)] {
    pairs.map { (name: $0.0, value: $0.1) }
}

@Suite struct GoDurationTests {
    @Test(arguments: [
        ("1s", 1.0), ("6m0s", 360), ("59m59.5s", 3599.5), ("1h2m3s", 3723), ("20ms", 0.02),
        ("30", 30), ("1.5", 1.5), ("0", 0), ("0s", 0), ("1.5h", 5400), ("2us", 0.000002), ("2µs", 0.000002),
        ("3ns", 0.000000003), (" 7s ", 7), ("+5s", 5), ("1h0m0.25s", 3600.25),
    ])
    func parsesGoDurations(text: String, seconds: Double) {
        let parsed = GoDuration.parse(text)
        #expect(parsed != nil)
        #expect(abs((parsed ?? -1) - seconds) < 1e-9)
    }

    @Test(arguments: ["", " ", "s", "abc", "-1s", "-5", "1x", "1h2", "5m-3s", "1..2s", ".s", "1e3s", "nan", "inf", "99999999999h"])
    func rejectsGarbage(text: String) {
        #expect(GoDuration.parse(text) == nil)
    }
}

@Suite struct HTTPDateTests {
    @Test func parsesAllThreeForms() {
        let expected = Date(timeIntervalSince1970: 784_111_777)  // 1994-11-06T08:49:37Z
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == expected)
        #expect(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT") == expected)
        #expect(HTTPDate.parse("Sun Nov  6 08:49:37 1994") == expected)
    }

    @Test func formatsAndRoundTrips() {
        #expect(HTTPDate.format(Date(timeIntervalSince1970: 784_111_777)) == "Sun, 06 Nov 1994 08:49:37 GMT")
        let date = Date(timeIntervalSince1970: 1_795_000_000)
        #expect(HTTPDate.parse(HTTPDate.format(date)) == date)
        #expect(HTTPDate.parse("Sat, 29 Feb 2020 00:00:00 GMT") == Date(timeIntervalSince1970: 1_582_934_400))
    }

    @Test(arguments: [
        "", "garbage", "Sun, 06 Nov 1994", "Sun, 32 Nov 1994 08:49:37 GMT", "Sun, 29 Feb 2021 08:49:37 GMT",
        "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 PST",
        "Sun, 06 Nov 19945 08:49:37 GMT", "06 Nov 1994 8:49:37 GMT",
    ])
    func rejectsGarbage(text: String) {
        #expect(HTTPDate.parse(text) == nil)
    }
}

@Suite struct RetryAfterTests {
    @Test func deltaSeconds() {
        #expect(RetryAfter.parse("120", now: now) == now.addingTimeInterval(120))
        #expect(RetryAfter.parse(" 0 ", now: now) == now)
        #expect(RetryAfter.parse("1.5", now: now) == now.addingTimeInterval(1.5))
    }

    @Test func httpDate() {
        #expect(RetryAfter.parse("Wed, 21 Oct 2026 07:28:00 GMT", now: now) == Timestamp.parse("2026-10-21T07:28:00Z"))
    }

    @Test(arguments: ["", "-5", "soon", "1e9999", "12 seconds", "99999999999999"])
    func garbage(text: String) {
        #expect(RetryAfter.parse(text, now: now) == nil)
    }

    @Test func findsTheHeaderCaseInsensitively() {
        #expect(RetryAfter.find(in: headers([("Content-Type", "x"), ("RETRY-after", "7")]), now: now) == now.addingTimeInterval(7))
        #expect(RetryAfter.find(in: headers([("Content-Type", "x")]), now: now) == nil)
    }
}

@Suite struct RateLimitHeadersTests {
    @Test func openAIStyle() {
        let observation = RateLimitHeaders.parse(
            headers([
                ("X-RateLimit-Limit-Requests", "200"),
                ("x-ratelimit-remaining-requests", "50"),
                ("x-ratelimit-reset-requests", "6m0s"),
                ("x-ratelimit-limit-tokens", "1000"),
                ("x-ratelimit-remaining-tokens", "990"),
                ("x-ratelimit-reset-tokens", "20ms"),
                ("content-type", "application/json"),
            ]), now: now)
        #expect(observation.style == .openAI)
        #expect(observation.percentage == 25)
        #expect(observation.resetAt == now.addingTimeInterval(360))
        #expect(observation.tokens.percentage == 99)
        #expect(observation.tokens.resetAt == now.addingTimeInterval(0.02))
        #expect(observation.modelQuota(named: "gpt-4o") == ModelQuota(name: "gpt-4o", percentage: 25, resetTime: now.addingTimeInterval(360)))
    }

    @Test func anthropicStyle() {
        let observation = RateLimitHeaders.parse(
            headers([
                ("anthropic-ratelimit-requests-limit", "50"),
                ("Anthropic-RateLimit-Requests-Remaining", "5"),
                ("anthropic-ratelimit-requests-reset", "2026-11-22T18:00:00Z"),
            ]), now: now)
        #expect(observation.style == .anthropic)
        #expect(observation.percentage == 10)
        #expect(observation.resetAt == Timestamp.parse("2026-11-22T18:00:00Z"))
    }

    @Test func tokensOnlyFallsBackToTheTokenWindow() {
        let observation = RateLimitHeaders.parse(
            headers([
                ("anthropic-ratelimit-tokens-limit", "1000"), ("anthropic-ratelimit-tokens-remaining", "250"),
                ("anthropic-ratelimit-tokens-reset", "2026-11-22T18:00:00.5Z"),
            ]), now: now)
        #expect(observation.percentage == 25)
        #expect(observation.resetAt == Timestamp.parse("2026-11-22T18:00:00.5Z"))
    }

    @Test func absentHeaders() {
        let observation = RateLimitHeaders.parse(headers([("content-type", "text/plain")]), now: now)
        #expect(observation.isEmpty)
        #expect(observation.style == nil)
        #expect(observation.percentage == nil)
        #expect(observation.resetAt == nil)
        #expect(observation.modelQuota(named: "m") == nil)
    }

    @Test(arguments: [
        ("0", "0"), ("-10", "5"), ("abc", "5"), ("100", "-1"), ("100", "lots"), ("nan", "1"), ("inf", "1"), ("", ""),
    ])
    func garbageFiguresGiveNoPercentage(limit: String, remaining: String) {
        let observation = RateLimitHeaders.parse(
            headers([("x-ratelimit-limit-requests", limit), ("x-ratelimit-remaining-requests", remaining)]), now: now)
        #expect(observation.percentage == nil)
    }

    @Test func clampsAndRejectsBadReset() {
        let observation = RateLimitHeaders.parse(
            headers([
                ("x-ratelimit-limit-requests", "10"), ("x-ratelimit-remaining-requests", "15"),
                ("x-ratelimit-reset-requests", "whenever"),
            ]), now: now)
        #expect(observation.percentage == 100)
        #expect(observation.resetAt == nil)
    }

    @Test func zeroRemainingIsExhaustedAndLiftsAtItsReset() {
        let observation = RateLimitHeaders.parse(
            headers([
                ("x-ratelimit-limit-requests", "10"), ("x-ratelimit-remaining-requests", "3"),
                ("x-ratelimit-reset-requests", "10s"),
                ("x-ratelimit-limit-tokens", "100"), ("x-ratelimit-remaining-tokens", "0"),
                ("x-ratelimit-reset-tokens", "1m"),
            ]), now: now)
        #expect(observation.tokens.isExhausted)
        #expect(!observation.requests.isExhausted)
        #expect(observation.limitLiftsAt == now.addingTimeInterval(60))
    }

    @Test func resetValuesAreReadLeniently() {
        #expect(RateLimitHeaders.parseReset("30", now: now) == now.addingTimeInterval(30))
        #expect(RateLimitHeaders.parseReset("2026-11-22T18:00:00Z", now: now) == Timestamp.parse("2026-11-22T18:00:00Z"))
        #expect(RateLimitHeaders.parseReset("tomorrow", now: now) == nil)
    }
}

@Suite struct RFC3339Tests {
    @Test(arguments: [
        "2026-11-22T18:00:00Z", "2026-11-22T18:00:00.5Z", "2026-11-22T18:00:00.123456Z", "2026-11-22T18:00:00+02:00",
        "2026-11-22T18:00:00-05:30", "2024-02-29T23:59:59Z", "1970-01-01T00:00:00Z", "2026-11-22T18:00:00.250+01:00",
    ])
    func fastPathAgreesWithTimestamp(text: String) throws {
        let fast = text.utf8.withContiguousStorageIfAvailable { RFC3339.parse(bytes: $0) } ?? nil
        let exact = try #require(Timestamp.parse(text))
        let parsed = try #require(fast)
        #expect(abs(parsed.timeIntervalSince(exact)) < 1e-6)
    }

    @Test func offsetsAndCase() {
        let base = Timestamp.parse("2026-11-22T16:00:00Z")
        #expect(RFC3339.parse(Substring("2026-11-22T18:00:00+02:00")) == base)
        #expect(RFC3339.parse(Substring("2026-11-22t16:00:00z")) == base)
    }

    @Test(arguments: [
        "2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-22T24:00:00Z", "2026-11-22T18:00:00", "2026-11-22T18:00:00.Z",
        "2026-11-22T18:00:00+2:00", "2026-11-22 18:00", "not a date at all!!", "2026-11-22T18:00:00Zjunk",
    ])
    func fastPathRejectsMalformed(text: String) {
        // Whatever the fast path rejects goes to the (lenient) Timestamp.parse.
        let fast = text.utf8.withContiguousStorageIfAvailable { RFC3339.parse(bytes: $0) } ?? nil
        #expect(fast == nil)
    }

    @Test func garbageIsNoDate() {
        #expect(RFC3339.parse(Substring("not a date at all!!")) == nil)
        #expect(RFC3339.parse(Substring("2026-11-22 18:00")) == nil)
    }
}

@Suite struct DecimalTests {
    @Test func plainAndFallbackForms() {
        func decimal(_ text: String) -> Double? {
            text.utf8.withContiguousStorageIfAvailable { HeaderName.decimal($0) } ?? nil
        }
        #expect(decimal("1999000") == 1_999_000)
        #expect(decimal("12.5") == 12.5)
        #expect(decimal("-4") == -4)
        #expect(decimal("+7") == 7)
        #expect(decimal("5.") == 5)
        #expect(decimal(".5") == 0.5)
        #expect(decimal("1e3") == 1000)
        #expect(decimal("123456789012345678901234") == 123_456_789_012_345_678_901_234)
        #expect(decimal("") == nil)
        #expect(decimal("12abc") == nil)
        #expect(decimal("nan") == nil)
        #expect(decimal("inf") == nil)
    }
}
