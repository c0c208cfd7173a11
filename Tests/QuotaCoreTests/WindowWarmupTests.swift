import Foundation
import Testing

@testable import QuotaCore

/// Smart Warmup over windows (SPEC 2.4, 2.6): one warmup per window, never on rate limits.
@Suite struct WindowWarmupTests {
    let configuration: QuotaProxyConfiguration = {
        var config = QuotaProxyConfiguration()
        config.scheduledWarmup.monitoredModels = ["*"]
        return config
    }()

    var planner: WarmupPlanner { WarmupPlanner(configuration: configuration) }

    func poll(_ account: inout Account, percentage: Double, reset: Date?, at now: Date) {
        let fresh = [
            QuotaWindow(
                kind: .quota, scope: .model, model: "m", windowSeconds: nil, percentage: percentage, resetTime: reset,
                source: .antigravity, observedAt: now)
        ]
        account.quota = QuotaMerge.applying(windows: fresh, source: .antigravity, to: account.quota, knownModels: [], now: now)
    }

    /// The first scene, over several scans and polls: the warmup's answer carries
    /// `x-ratelimit-remaining-requests: 90` of 100 (reset 6m0s); that is a rate limit, so the model
    /// stays at 100%, the history entry stays, and nothing is warmed again until the window moves.
    @Test func oneWarmupPerWindowDespitePerMinuteHeaders() {
        var account = makeAccount("acc-1", models: [], serves: ["m"])
        var now = referenceNow
        var history = WarmupHistory()
        var warmups: [Date] = []
        let windowReset = referenceNow.addingTimeInterval(5 * 3600)
        poll(&account, percentage: 100, reset: windowReset, at: now)

        for step in 0..<12 {  // two hours: a scan every 10 minutes, a poll every 5
            let plan = planner.plan(accounts: [account], history: history, now: now)
            history = plan.history
            for target in plan.toWarm {
                warmups.append(now)
                history.record(account: target.accountID, model: target.model, at: now)
                let observation = RateLimitHeaders.parse(
                    [
                        (name: "x-ratelimit-limit-requests", value: "100"),
                        (name: "x-ratelimit-remaining-requests", value: "90"),
                        (name: "x-ratelimit-reset-requests", value: "6m0s"),
                    ], now: now)
                account.mergeQuotaWindows(observation.windows(model: target.model, now: now), seenModels: [target.model], now: now)
            }
            if step == 0 {
                let manual = ManualWarmup.decide(
                    accounts: [account], configuration: configuration, history: history, now: now, scope: .allAccounts)
                #expect(manual.outcome == .allInCooldown(skipped: 1))
                #expect(account.quota.models == [ModelQuota(name: "m", percentage: 100, resetTime: windowReset)])
            }
            now = now.addingTimeInterval(300)
            poll(&account, percentage: 100, reset: windowReset, at: now)
            now = now.addingTimeInterval(300)
            poll(&account, percentage: 100, reset: windowReset, at: now)
        }
        #expect(warmups == [referenceNow])
        #expect(history.entries[WarmupHistory.key(account: "acc-1", model: "m")] == Timestamp.unixSeconds(referenceNow))

        // Real use moves the window below 100%: the entry goes, and the next full window warms once.
        poll(&account, percentage: 70, reset: windowReset, at: now)
        var plan = planner.plan(accounts: [account], history: history, now: now)
        #expect(plan.removedHistoryKeys == [WarmupHistory.key(account: "acc-1", model: "m")])
        history = plan.history
        now = windowReset.addingTimeInterval(60)
        poll(&account, percentage: 100, reset: windowReset.addingTimeInterval(5 * 3600), at: now)
        plan = planner.plan(accounts: [account], history: history, now: now)
        #expect(plan.toWarm == [WarmupTarget(accountID: "acc-1", model: "m")])
    }

    /// A subscription account's 5-hour window comes from answer headers: warmed through one model
    /// when full, not again while the started window runs, again after it resets.
    @Test func headerFiveHourWindowIsWarmedOncePerWindow() {
        var account = makeAccount("claude", models: [], source: .headers, serves: ["claude-haiku-4-5", "claude-sonnet-4-5"])
        account.quota = AccountQuota()
        var now = referenceNow
        var history = WarmupHistory()
        var warmed: [WarmupTarget] = []
        func observe(utilization: String, reset: Date) {
            let observation = RateLimitHeaders.parse(
                [
                    (name: "anthropic-ratelimit-unified-5h-utilization", value: utilization),
                    (name: "anthropic-ratelimit-unified-5h-reset", value: String(Int(reset.timeIntervalSince1970))),
                ], now: now)
            account.mergeQuotaWindows(observation.windows(model: "claude-haiku-4-5", now: now), seenModels: [], now: now)
            account.quota.lastUpdated = now
        }
        observe(utilization: "0.0", reset: now.addingTimeInterval(600))
        now = now.addingTimeInterval(601)  // that window ended; the account idles
        var windowEnd = Date.distantPast
        for _ in 0..<40 {  // 40 scans, 10 minutes apart: 6h40m
            let plan = planner.plan(accounts: [account], history: history, now: now)
            history = plan.history
            for target in plan.toWarm {
                warmed.append(target)
                history.record(account: target.accountID, model: target.model, at: now)
                windowEnd = now.addingTimeInterval(18_000)
                observe(utilization: "0.01", reset: windowEnd)  // the warmup starts the window
            }
            now = now.addingTimeInterval(600)
        }
        #expect(warmed == [
            WarmupTarget(accountID: "claude", model: "claude-haiku-4-5"),
            WarmupTarget(accountID: "claude", model: "claude-haiku-4-5"),
        ])
    }

    @Test func rateLimitsAloneNeverWarm() {
        var account = makeAccount("key", models: [], source: .headers, serves: ["m"])
        account.quota = AccountQuota()
        account.mergeQuotaWindows(
            [QuotaWindow(kind: .rateLimit, scope: .model, model: "m", windowSeconds: 60, percentage: 100,
                         resetTime: referenceNow.addingTimeInterval(30), source: .headers, observedAt: referenceNow)],
            seenModels: ["m"], now: referenceNow)
        let plan = planner.plan(accounts: [account], history: WarmupHistory(), now: referenceNow)
        #expect(plan.toWarm.isEmpty)
        #expect(plan.rollingQuotaAccounts == 1)
    }
}
