import Foundation
import Testing

@testable import QuotaCore

private func window(
    _ kind: QuotaWindow.Kind, _ percentage: Double, scope: QuotaWindow.Scope = .model, model: String? = "m", seconds: Int? = 60,
    reset: TimeInterval? = 300, source: QuotaWindow.Source = .headers, at observed: Date = referenceNow
) -> QuotaWindow {
    QuotaWindow(
        kind: kind, scope: scope, model: model, windowSeconds: seconds, percentage: percentage,
        resetTime: reset.map { referenceNow.addingTimeInterval($0) }, source: source, observedAt: observed)
}

@Suite struct QuotaWindowRuleTests {
    @Test func kindFollowsTheLength() {
        #expect(QuotaWindow.classified(scope: .account, windowSeconds: 3599, percentage: 1, resetTime: nil, source: .headers, observedAt: referenceNow).kind == .rateLimit)
        #expect(QuotaWindow.classified(scope: .account, windowSeconds: 3600, percentage: 1, resetTime: nil, source: .headers, observedAt: referenceNow).kind == .quota)
        #expect(QuotaWindow.label(seconds: 60) == "1m")
        #expect(QuotaWindow.label(seconds: 18_000) == "5h")
        #expect(QuotaWindow.label(seconds: 604_800) == "7d")
        #expect(QuotaWindow.label(seconds: 90) == "90s")
    }

    @Test func mergeReplacesTheSameLimitAndDropsExpiredRateLimits() {
        let existing = [
            window(.rateLimit, 90),
            window(.quota, 80, scope: .account, model: nil, seconds: 18_000, reset: 3600),
            window(.rateLimit, 0, model: "old", reset: -1),  // reset passed: dropped
            window(.quota, 50, seconds: nil, reset: 7200, source: .antigravity),
        ]
        let merged = QuotaWindows.merge(
            [window(.rateLimit, 89), window(.quota, 70, scope: .account, model: nil, seconds: 604_800, reset: 86_400)], into: existing,
            now: referenceNow)
        #expect(merged.count == 4)
        #expect(merged.filter { $0.kind == .rateLimit }.map(\.percentage) == [89])
        #expect(merged.contains { $0.windowSeconds == 18_000 && $0.percentage == 80 })
        #expect(merged.contains { $0.windowSeconds == 604_800 && $0.percentage == 70 })
        #expect(merged.contains { $0.source == .antigravity })
        #expect(merged.first?.scope == .account)
    }

    @Test func tightestQuotaIgnoresRateLimitsAndCombinesScopes() {
        let windows = [
            window(.rateLimit, 0),
            window(.quota, 60, seconds: nil, reset: 7200, source: .antigravity),
            window(.quota, 40, scope: .account, model: nil, seconds: 18_000, reset: 3600),
        ]
        #expect(QuotaWindows.tightestQuota(for: "m", in: windows, now: referenceNow)?.percentage == 40)
        #expect(QuotaWindows.tightestQuota(for: "other", in: windows, now: referenceNow)?.windowSeconds == 18_000)
        #expect(QuotaWindows.tightestQuota(for: "m", in: [window(.rateLimit, 0)], now: referenceNow) == nil)
        let figures = QuotaWindows.modelFigures(windows, knownModels: ["other"], now: referenceNow)
        #expect(figures.map(\.name) == ["m", "other"])
        #expect(figures.map(\.percentage) == [40, 40])
    }

    @Test func aHeaderQuotaWindowPastItsResetIsFullAgain() {
        let fiveHour = window(.quota, 3, scope: .account, model: nil, seconds: 18_000, reset: -10)
        #expect(fiveHour.current(at: referenceNow).percentage == 100)
        let polled = window(.quota, 3, seconds: nil, reset: -10, source: .antigravity)
        #expect(polled.current(at: referenceNow).percentage == 3)
    }

    @Test func pacingOnlyForRateLimitsAtZeroAndClamped() {
        let windows = [
            window(.rateLimit, 0, reset: 30),
            window(.rateLimit, 1, model: "n", reset: 30),
            window(.quota, 0, scope: .account, model: nil, seconds: 18_000, reset: 3600),
            window(.rateLimit, 0, scope: .account, model: nil, seconds: 60, reset: 10_000_000),
        ]
        let pacing = QuotaWindows.pacing(windows, now: referenceNow, maxResetHintSeconds: 600)
        #expect(pacing == [
            RatePacing(model: "m", until: referenceNow.addingTimeInterval(30)),
            RatePacing(model: nil, until: referenceNow.addingTimeInterval(600)),
        ])
    }

    @Test func windowsRoundTripThroughJSON() throws {
        let windows = [
            window(.quota, 76.5, scope: .account, model: nil, seconds: 18_000, reset: 3600),
            window(.rateLimit, 90, reset: nil),
        ]
        let data = try JSONEncoder().encode(windows)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains(#""kind":"quota""#))
        #expect(text.contains(#""scope":"account""#))
        #expect(text.contains(#""window_seconds":18000"#))
        #expect(text.contains(#""observed_at":1795348800"#))
        #expect(try JSONDecoder().decode([QuotaWindow].self, from: data) == windows)
    }

    @Test(arguments: [
        #"{"kind":"quota","scope":"model","window_seconds":60,"percentage":5,"source":"headers","observed_at":1}"#,
        #"{"kind":"quota","scope":"account","window_seconds":0,"percentage":5,"source":"headers","observed_at":1}"#,
        #"{"kind":"quota","scope":"account","percentage":101,"source":"headers","observed_at":1}"#,
        #"{"kind":"weekly","scope":"account","percentage":1,"source":"headers","observed_at":1}"#,
        #"{"kind":"quota","scope":"account","percentage":1,"source":"nowhere","observed_at":1}"#,
        #"{"kind":"quota","scope":"account","percentage":1,"reset_time":"soon","source":"headers","observed_at":1}"#,
    ])
    func badWindowsAreRejected(text: String) {
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(QuotaWindow.self, from: Data(text.utf8)) }
    }
}

@Suite struct PacedCooldownTests {
    @Test func pacingBlocksTheGroupOrTheAccountUntilTheReset() {
        var book = CooldownBook()
        let until = referenceNow.addingTimeInterval(30)
        book.recordPaced(account: "a", group: "g", until: until, now: referenceNow)
        #expect(book.block(account: "a", group: "g", now: referenceNow) == CooldownEntry(account: "a", group: "g", reason: .paced, until: until))
        #expect(book.isAvailable(account: "a", group: "other", now: referenceNow))
        #expect(book.isAvailable(account: "a", group: "g", now: until))

        book.recordPaced(account: "b", group: nil, until: until, now: referenceNow)
        #expect(book.block(account: "b", group: "any", now: referenceNow)?.group == nil)
        #expect(book.block(account: "b", group: "any", now: referenceNow)?.reason == .paced)
        // A success does not lift pacing (answers to earlier requests must not).
        book.recordSuccess(account: "b", group: "any", now: referenceNow)
        #expect(!book.isAvailable(account: "b", group: "any", now: referenceNow))
    }

    @Test func pacingSurvivesARestart() throws {
        var book = CooldownBook()
        book.recordPaced(account: "a", group: "g", until: referenceNow.addingTimeInterval(30), now: referenceNow)
        book.recordPaced(account: "b", group: nil, until: referenceNow.addingTimeInterval(40), now: referenceNow)
        let restored = try CooldownBook.restored(from: book.encoded(now: referenceNow), now: referenceNow)
        #expect(!restored.isAvailable(account: "a", group: "g", now: referenceNow))
        #expect(!restored.isAvailable(account: "b", group: "x", now: referenceNow))
        #expect(restored.activeEntries(now: referenceNow).map(\.reason) == [.paced, .paced])
    }
}

@Suite struct WindowProtectionTests {
    let evaluator: ProtectionEvaluator = {
        var config = QuotaProxyConfiguration()
        config.quotaProtection.thresholdPercentage = 10
        return ProtectionEvaluator(configuration: config)
    }()

    /// The issue's second scene: for an API-key account a per-minute limit drains and refills;
    /// protection must not follow it.
    @Test func aDrainingPerMinuteLimitNeverProtects() {
        var account = makeAccount("key", source: .headers, serves: ["m"])
        account.quota = AccountQuota()
        for remaining in [50.0, 5, 0, 100, 2, 0] {
            let (updated, outcome) = evaluator.observing(
                [window(.rateLimit, remaining, reset: 20)], model: "m", on: account, now: referenceNow)
            #expect(updated.protectedModels.isEmpty)
            #expect(outcome.changes.isEmpty)
            #expect(updated.quota.models.isEmpty)
            account = updated
        }
    }

    @Test func aFiveHourUtilizationHeaderProtectsAtOnceAndRestoresAfterTheReset() {
        var account = makeAccount("claude", source: .headers, serves: nil)
        account.quota = AccountQuota()
        let fiveHour = window(.quota, 8, scope: .account, model: nil, seconds: 18_000, reset: 600)
        let (protected, outcome) = evaluator.observing([fiveHour], model: "claude-sonnet-4-5", on: account, now: referenceNow)
        #expect(protected.protectedModels == ["claude-sonnet-4-5"])
        #expect(outcome.changes.map(\.message) == ["protected claude-sonnet-4-5 on claude (8% <= 10%)"])
        #expect(protected.quota.models == [ModelQuota(name: "claude-sonnet-4-5", percentage: 8, resetTime: fiveHour.resetTime)])

        // After the reset nothing was observed; the refresher derives the figures again.
        var later = protected
        let after = referenceNow.addingTimeInterval(601)
        later.quota.setWindows(QuotaWindows.merge([], into: later.quota.windows, now: after), knownModels: [], now: after)
        #expect(evaluator.evaluate(later).protectedModels.isEmpty)
    }
}

@Suite struct RateLimitBlindSpotTests {
    @Test func anAccountWithOnlyRateLimitsIsABlindSpotThatSaysSo() {
        var account = makeAccount("key", source: .headers)
        account.quota = AccountQuota()
        account.mergeQuotaWindows(
            [QuotaWindow(kind: .rateLimit, scope: .model, model: "m", windowSeconds: 60, percentage: 3, resetTime: nil,
                         source: .headers, observedAt: referenceNow)],
            seenModels: ["m"], now: referenceNow)
        account.quota.lastUpdated = referenceNow
        let spots = ProtectionEvaluator.protectionBlindSpots([account])
        #expect(spots.map(\.reason) == [.onlyRateLimits])
        #expect(spots.first?.message.contains("only per-minute rate limits") == true)
    }
}

@Suite struct WindowMergeOrderTests {
    @Test func theNewerObservationWinsWhateverTheOrder() {
        let older = QuotaWindow(
            kind: .rateLimit, scope: .model, model: "m", windowSeconds: 60, percentage: 50, resetTime: nil, source: .headers,
            observedAt: referenceNow)
        var newer = older
        newer.percentage = 40
        newer.observedAt = referenceNow.addingTimeInterval(1)
        #expect(QuotaWindows.merge([older], into: [newer], now: referenceNow).map(\.percentage) == [40])
        #expect(QuotaWindows.merge([newer], into: [older], now: referenceNow).map(\.percentage) == [40])
    }
}
