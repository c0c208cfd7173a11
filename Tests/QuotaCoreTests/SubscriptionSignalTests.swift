import Foundation
import Testing

@testable import QuotaCore

private let now = Date(timeIntervalSince1970: 1_790_800_000)

private func observe(_ pairs: [(String, String)]) -> RateLimitObservation {
    RateLimitHeaders.parse(pairs.map { (name: $0.0, value: $0.1) }, now: now)
}

/// Header values from the research notes (shared/research/subscription-quota-signals.md).
@Suite struct SubscriptionHeaderTests {
    @Test func anthropicUnifiedWindowsAreAccountWideQuota() {
        let observation = observe([
            ("anthropic-ratelimit-unified-status", "allowed"),
            ("anthropic-ratelimit-unified-5h-status", "allowed"),
            ("anthropic-ratelimit-unified-5h-utilization", "0.05"),
            ("anthropic-ratelimit-unified-5h-reset", "1790814600"),
            ("Anthropic-RateLimit-Unified-7d-Utilization", "0.36"),
            ("anthropic-ratelimit-unified-7d-reset", "1791200000"),
            ("anthropic-ratelimit-unified-representative-claim", "five_hour"),
            ("anthropic-ratelimit-unified-7d_oi-utilization", "0.9"),  // not a window we keep
            ("anthropic-ratelimit-unified-overage-status", "rejected"),  // not a window
        ])
        #expect(observation.unified.representativeClaim == .fiveHour)
        let windows = observation.windows(model: "claude-sonnet-4-5", now: now)
        #expect(windows.count == 2)
        let fiveHour = windows.first { $0.windowSeconds == 18_000 }
        #expect(fiveHour?.kind == .quota)
        #expect(fiveHour?.scope == .account)
        #expect(fiveHour?.model == nil)
        #expect(fiveHour?.percentage == 95)
        #expect(fiveHour?.resetTime == Date(timeIntervalSince1970: 1_790_814_600))
        #expect(fiveHour?.source == .headers)
        #expect(fiveHour?.label == "5h")
        let sevenDay = windows.first { $0.windowSeconds == 604_800 }
        #expect(sevenDay?.percentage == 64)
        #expect(sevenDay?.label == "7d")
        #expect(observation.exhaustedQuotaWindows(now: now).isEmpty)
    }

    @Test func rejectedIsExhaustedUntilTheBindingReset() {
        let observation = observe([
            ("anthropic-ratelimit-unified-status", "rejected"),
            ("anthropic-ratelimit-unified-reset", "1790814600"),
            ("anthropic-ratelimit-unified-representative-claim", "seven_day"),
            ("anthropic-ratelimit-unified-7d-utilization", "0.98"),
            ("anthropic-ratelimit-unified-5h-utilization", "0.2"),
        ])
        let windows = observation.windows(model: "m", now: now)
        let sevenDay = windows.first { $0.windowSeconds == 604_800 }
        #expect(sevenDay?.percentage == 0)
        #expect(sevenDay?.resetTime == Date(timeIntervalSince1970: 1_790_814_600))
        #expect(windows.first { $0.windowSeconds == 18_000 }?.percentage == 80)
        #expect(observation.exhaustedQuotaWindows(now: now).map(\.windowSeconds) == [604_800])
    }

    @Test func millisecondResetsAndFarResetsAreClamped() {
        let observation = observe([
            ("anthropic-ratelimit-unified-5h-utilization", "1"),
            ("anthropic-ratelimit-unified-5h-reset", "1790814600000"),
            ("anthropic-ratelimit-unified-7d-utilization", "0.5"),
            ("anthropic-ratelimit-unified-7d-reset", "1890000000"),  // three years away
        ])
        let windows = observation.windows(model: "m", now: now, maxResetHintSeconds: 604_800)
        #expect(windows.first { $0.windowSeconds == 18_000 }?.resetTime == Date(timeIntervalSince1970: 1_790_814_600))
        #expect(windows.first { $0.windowSeconds == 18_000 }?.percentage == 0)
        #expect(windows.first { $0.windowSeconds == 604_800 }?.resetTime == now.addingTimeInterval(604_800))
    }

    @Test func codexWindowsAreClassifiedByLengthNotByName() {
        // A later sub2api test feeds primary=10080 and secondary=300: never assume primary is 5 h.
        let observation = observe([
            ("x-codex-primary-used-percent", "12.5"),
            ("x-codex-primary-window-minutes", "10080"),
            ("x-codex-primary-reset-at", "1791300000"),
            ("x-codex-secondary-used-percent", "100"),
            ("x-codex-secondary-window-minutes", "300"),
            ("x-codex-secondary-reset-after-seconds", "600"),
            ("x-codex-plan-type", "plus"),
            ("x-codex-bengalfox-primary-used-percent", "99"),
        ])
        let windows = observation.windows(model: "gpt-5", now: now)
        #expect(windows.count == 2)
        let weekly = windows.first { $0.windowSeconds == 604_800 }
        #expect(weekly?.kind == .quota)
        #expect(weekly?.scope == .account)
        #expect(weekly?.percentage == 87.5)
        #expect(weekly?.resetTime == Date(timeIntervalSince1970: 1_791_300_000))
        let fiveHour = windows.first { $0.windowSeconds == 18_000 }
        #expect(fiveHour?.percentage == 0)
        #expect(fiveHour?.resetTime == now.addingTimeInterval(600))
        #expect(observation.exhaustedQuotaWindows(now: now).map(\.windowSeconds) == [18_000])
    }

    @Test func codexShortWindowIsARateLimitAndWindowWithoutLengthIsSkipped() {
        let observation = observe([
            ("x-codex-primary-used-percent", "100"),
            ("x-codex-primary-window-minutes", "1"),
            ("x-codex-primary-reset-after-seconds", "20"),
            ("x-codex-secondary-used-percent", "40"),
        ])
        let windows = observation.windows(model: "gpt-5", now: now)
        #expect(windows.count == 1)
        #expect(windows.first?.kind == .rateLimit)
        #expect(QuotaWindows.pacing(windows, now: now) == [RatePacing(model: nil, until: now.addingTimeInterval(20))])
    }

    @Test func perMinuteHeadersAreModelRateLimits() {
        // The issue's scene: 90 of 100 requests left, reset 6m0s.
        let observation = observe([
            ("x-ratelimit-limit-requests", "100"), ("x-ratelimit-remaining-requests", "90"),
            ("x-ratelimit-reset-requests", "6m0s"),
            ("x-ratelimit-limit-tokens", "150000"), ("x-ratelimit-remaining-tokens", "149000"),
            ("x-ratelimit-reset-tokens", "20ms"),
        ])
        let windows = observation.windows(model: "gpt-4o-mini", now: now)
        #expect(windows.count == 1)
        #expect(windows[0].kind == .rateLimit)
        #expect(windows[0].scope == .model)
        #expect(windows[0].model == "gpt-4o-mini")
        #expect(windows[0].percentage == 90)
        #expect(windows[0].resetTime == now.addingTimeInterval(360))
        #expect(windows[0].label == "1m")
    }

    @Test func aDailyRequestLimitIsQuota() {
        let observation = observe([
            ("x-ratelimit-limit-requests", "10000"), ("x-ratelimit-remaining-requests", "9000"),
            ("x-ratelimit-reset-requests", "2h10m0s"),
            ("x-ratelimit-limit-tokens", "1000"), ("x-ratelimit-remaining-tokens", "0"),
            ("x-ratelimit-reset-tokens", "30s"),
        ])
        let windows = observation.windows(model: "m", now: now)
        #expect(windows.count == 2)
        #expect(windows.first { $0.kind == .quota }?.windowSeconds == 86_400)
        #expect(windows.first { $0.kind == .quota }?.percentage == 90)
        #expect(windows.first { $0.kind == .rateLimit }?.percentage == 0)
        #expect(QuotaWindows.pacing(windows, now: now) == [RatePacing(model: "m", until: now.addingTimeInterval(30))])
    }

    @Test func anthropicInputAndOutputTokenLimitsCount() {
        let observation = observe([
            ("anthropic-ratelimit-requests-limit", "50"), ("anthropic-ratelimit-requests-remaining", "49"),
            ("anthropic-ratelimit-requests-reset", "2026-09-30T20:27:00Z"),
            ("anthropic-ratelimit-output-tokens-limit", "8000"), ("anthropic-ratelimit-output-tokens-remaining", "0"),
            ("anthropic-ratelimit-output-tokens-reset", "2026-09-30T20:27:30Z"),
        ])
        let windows = observation.windows(model: "claude", now: now)
        #expect(windows.count == 1)
        #expect(windows[0].kind == .rateLimit)
        #expect(windows[0].percentage == 0)
        #expect(windows[0].resetTime == Timestamp.parse("2026-09-30T20:27:30Z"))
    }

    @Test func unrelatedHeadersCostNothing() {
        let observation = observe([
            ("content-type", "application/json"), ("x-request-id", "abcdefghijklmnopqrstuvwxyz"),
            ("anthropic-organization-id", "0123456789abcdef0123"), ("x-codex-something-else-entirely", "1"),
        ])
        #expect(observation.isEmpty)
        #expect(observation.windows(model: "m", now: now).isEmpty)
    }
}

/// 429 bodies from the research notes (gemini-code-assist-protocol.md §5.4, subscription notes §2.4).
@Suite struct ErrorBodySignalTests {
    func assess(_ status: Int, _ body: String, headers: [(String, String)] = []) -> UpstreamVerdict {
        UpstreamErrorClassifier.assess(
            status: status, headers: headers.map { (name: $0.0, value: $0.1) }, body: Array(body.utf8), now: now)
    }

    @Test func codexUsageLimitReachedIsAccountQuotaUntilResetsAt() {
        let verdict = assess(
            429, #"{"error":{"type":"usage_limit_reached","message":"The usage limit has been reached","plan_type":"plus","resets_at":1790814600}}"#)
        #expect(verdict.outcome == .quotaExhausted(resetAt: Date(timeIntervalSince1970: 1_790_814_600)))
        let window = verdict.bodyWindow(model: "gpt-5", now: now)
        #expect(window?.kind == .quota)
        #expect(window?.scope == .account)
        #expect(window?.percentage == 0)
        #expect(window?.source == .errorBody)
        #expect(!verdict.paces)
    }

    @Test func resetsInSecondsIsRead() {
        let verdict = assess(429, #"{"error":{"type":"usage_limit_reached","resets_in_seconds":1800}}"#)
        #expect(verdict.outcome == .quotaExhausted(resetAt: now.addingTimeInterval(1800)))
    }

    @Test func googleRateLimitExceededPacesUntilRetryInfo() {
        let body = #"""
            {"error":{"code":429,"status":"RESOURCE_EXHAUSTED",
              "message":"You have exhausted your capacity on this model. Your quota will reset after 0s.",
              "details":[
                {"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"RATE_LIMIT_EXCEEDED",
                 "domain":"cloudcode-pa.googleapis.com",
                 "metadata":{"model":"claude-opus-4-6-thinking","quotaResetDelay":"479.417207ms",
                             "quotaResetTimeStamp":"2026-04-20T09:19:49Z","uiMessage":"true"}},
                {"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"0.479417207s"}]}}
            """#
        let verdict = assess(429, body)
        guard case .rateLimited(let until?) = verdict.outcome else {
            Issue.record("expected a rate limit, got \(verdict.outcome)")
            return
        }
        #expect(abs(until.timeIntervalSince(now) - 0.479417207) < 1e-6)
        #expect(verdict.paces)
        #expect(verdict.attemptOutcome == "paced")
        #expect(verdict.bodyWindow(model: "m", now: now)?.kind == .rateLimit)
    }

    /// The public Gemini API's 429 carries no ErrorInfo but QuotaFailure: per day is quota, per
    /// minute a rate limit (as Google's own CLI tells them apart).
    @Test func geminiAPIQuotaFailureTellsDailyQuotaFromPerMinuteLimits() {
        func body(_ quotaID: String, delay: String) -> String {
            #"{"error":{"code":429,"message":"You exceeded your current quota","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests","quotaId":"\#(quotaID)","quotaDimensions":{"location":"global","model":"gemini-2.5-flash"},"quotaValue":"250"}]},{"@type":"type.googleapis.com/google.rpc.Help","links":[{"description":"Learn more","url":"https://ai.google.dev/gemini-api/docs/rate-limits"}]},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"\#(delay)"}]}}"#
        }
        let daily = assess(429, body("GenerateRequestsPerDayPerProjectPerModel-FreeTier", delay: "12s"))
        #expect(daily.outcome == .quotaExhausted(resetAt: now.addingTimeInterval(12)), "per day is quota even with a short retry delay")
        let minute = assess(429, body("GenerateRequestsPerMinutePerProjectPerModel-FreeTier", delay: "41s"))
        #expect(minute.outcome == .rateLimited(until: now.addingTimeInterval(41)))
        #expect(minute.paces)
    }

    /// Code Assist streams send their error inside an array.
    @Test func arrayWrappedErrorIsRead() {
        let verdict = assess(
            429,
            #"[{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","message":"x","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"QUOTA_EXHAUSTED","metadata":{"quotaResetDelay":"1h0m0s"}}]}}]"#)
        #expect(verdict.outcome == .quotaExhausted(resetAt: now.addingTimeInterval(3600)))
    }

    @Test func quotaExhaustedReadsEveryDetailNotOnlyTheFirst() {
        // The ErrorInfo is the second entry; AM reads only details[0] and would miss it.
        let body = #"""
            {"error":{"code":429,"status":"RESOURCE_EXHAUSTED","message":"quota",
              "details":[
                {"@type":"type.googleapis.com/google.rpc.Help","links":[]},
                {"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"QUOTA_EXHAUSTED",
                 "metadata":{"model":"gemini-pro-agent","quotaResetTimeStamp":"2026-07-03T13:11:31Z"}},
                {"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"351085s"}]}}
            """#
        let verdict = assess(429, body)
        #expect(verdict.outcome == .quotaExhausted(resetAt: now.addingTimeInterval(351_085)))
        let window = verdict.bodyWindow(model: "gemini-pro-agent", now: now)
        #expect(window?.kind == .quota)
        #expect(window?.scope == .model)
        #expect(window?.model == "gemini-pro-agent")
    }

    @Test func quotaResetDelayIsUsedWithoutRetryInfo() {
        let body = #"""
            {"error":{"status":"RESOURCE_EXHAUSTED","details":[
              {"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"QUOTA_EXHAUSTED",
               "metadata":{"quotaResetDelay":"13h19m1.20964964s"}}]}}
            """#
        guard case .quotaExhausted(let reset?) = assess(429, body).outcome else {
            Issue.record("expected exhaustion")
            return
        }
        #expect(abs(reset.timeIntervalSince(now) - 47_941.20964964) < 1e-6)
    }

    @Test func farResetHintsAreClamped() {
        let body = #"{"error":{"status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"QUOTA_EXHAUSTED","metadata":{"quotaResetDelay":"143h4m52.730699158s"}}]}}"#
        let verdict = UpstreamErrorClassifier.assess(
            status: 429, headers: [(name: String, value: String)](), body: Array(body.utf8), now: now,
            maxResetHintSeconds: 86_400)
        #expect(verdict.outcome == .quotaExhausted(resetAt: now.addingTimeInterval(86_400)))
        #expect(verdict.bodyWindow(model: "m", now: now, maxResetHintSeconds: 86_400)?.resetTime == now.addingTimeInterval(86_400))
    }

    @Test func modelCapacityExhaustedIsAServiceErrorWithoutWindow() {
        let body = #"{"error":{"code":503,"status":"UNAVAILABLE","message":"No capacity available for model gemini-3-pro on the server","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"MODEL_CAPACITY_EXHAUSTED"}]}}"#
        let verdict = assess(503, body)
        #expect(verdict.outcome == .serviceError)
        #expect(verdict.bodyWindow(model: "m", now: now) == nil)
        #expect(assess(429, body).outcome == .serviceError)
    }

    @Test func unifiedRejected429IsQuotaExhaustion() {
        let verdict = assess(
            429, #"{"type":"error","error":{"type":"rate_limit_error","message":"This request would exceed your account's rate limit."}}"#,
            headers: [
                ("anthropic-ratelimit-unified-status", "rejected"),
                ("anthropic-ratelimit-unified-5h-status", "rejected"),
                ("anthropic-ratelimit-unified-5h-reset", "1790814600"),
            ])
        #expect(verdict.outcome == .quotaExhausted(resetAt: Date(timeIntervalSince1970: 1_790_814_600)))
    }

    @Test func perMinuteWindowAtZeroMakesA429Paced() {
        let verdict = assess(
            429, #"{"error":{"message":"Rate limit reached for requests","type":"requests"}}"#,
            headers: [
                ("x-ratelimit-limit-requests", "100"), ("x-ratelimit-remaining-requests", "0"),
                ("x-ratelimit-reset-requests", "1s"),
            ])
        #expect(verdict.outcome == .rateLimited(until: now.addingTimeInterval(1)))
        #expect(verdict.paces)
        // A 429 that says nothing about a window is plain rate limiting.
        #expect(!assess(429, "slow down").paces)
    }
}

@Suite struct UsageSnapshotParserTests {
    @Test func anthropicUsageAnswer() throws {
        let body = #"""
            {"five_hour":{"utilization":24.0,"resets_at":"2026-01-02T19:59:59.600956+00:00"},
             "seven_day":{"utilization":36.0,"resets_at":"2026-01-08T10:00:00+00:00"},
             "seven_day_sonnet":{"utilization":1.0,"resets_at":"2026-01-08T10:00:00+00:00"},
             "seven_day_opus":null,"seven_day_oauth_apps":null,"iguana_necktie":null,
             "extra_usage":{"is_enabled":false,"monthly_limit":null,"used_credits":null,"utilization":null}}
            """#
        let reference = try #require(Timestamp.parse("2026-01-02T15:00:00Z"))
        let windows = try UsageSnapshotParser.parseAnthropic(Data(body.utf8), now: reference).get()
        #expect(windows.count == 2)
        #expect(windows[0].windowSeconds == 18_000)
        #expect(windows[0].percentage == 76)
        #expect(windows[0].scope == .account)
        #expect(windows[0].source == .anthropicUsage)
        #expect(abs((windows[0].resetTime?.timeIntervalSince1970 ?? 0) - 1_767_383_999.600956) < 0.001)
        #expect(windows[1].windowSeconds == 604_800)
        #expect(windows[1].percentage == 64)
    }

    @Test func anIdleAnthropicAccountHasNoFiveHourWindow() throws {
        let windows = try UsageSnapshotParser.parseAnthropic(
            Data(#"{"five_hour":null,"seven_day":{"utilization":10}}"#.utf8), now: now
        ).get()
        #expect(windows.map(\.windowSeconds) == [604_800])
        #expect(windows[0].resetTime == nil)
    }

    @Test func anthropicUsageErrorsNameTheField() {
        let result = UsageSnapshotParser.parseAnthropic(Data(#"{"five_hour":{"utilization":140}}"#.utf8), now: now)
        guard case .failure(let error) = result else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.path == "five_hour.utilization")
    }

    @Test func codexUsageAnswer() throws {
        let body = #"""
            {"plan_type":"plus","rate_limit":{"allowed":true,"limit_reached":false,
              "primary_window":{"used_percent":42,"limit_window_seconds":18000,"reset_after_seconds":3600,"reset_at":1790803600},
              "secondary_window":{"used_percent":7,"limit_window_seconds":604800,"reset_after_seconds":500000}},
             "credits":{"has_credits":false,"unlimited":false,"balance":"0"}}
            """#
        let windows = try UsageSnapshotParser.parseCodex(Data(body.utf8), now: now).get()
        #expect(windows.count == 2)
        #expect(windows[0].percentage == 58)
        #expect(windows[0].kind == .quota)
        #expect(windows[0].resetTime == Date(timeIntervalSince1970: 1_790_803_600))
        #expect(windows[1].percentage == 93)
        #expect(windows[1].resetTime == now.addingTimeInterval(500_000))
        #expect(windows.allSatisfy { $0.source == .codexUsage && $0.scope == .account })
    }

    @Test func codexUsageNeedsTheWindowLength() {
        let result = UsageSnapshotParser.parseCodex(
            Data(#"{"rate_limit":{"primary_window":{"used_percent":42}}}"#.utf8), now: now)
        guard case .failure(let error) = result else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.path == "rate_limit.primary_window.limit_window_seconds")
    }
}
