import Foundation
import Testing
@testable import QuotaCore

@Suite struct QuotaMergeTests {
    @Test func applyingReplacesModelsAndClearsForbidden() {
        let old = AccountQuota(
            models: [ModelQuota(name: "gone", percentage: 10), ModelQuota(name: "m", percentage: 20)],
            lastUpdated: referenceNow.addingTimeInterval(-3600), isForbidden: true)
        let merged = QuotaMerge.applying([ModelQuota(name: "m", percentage: 90)], to: old, now: referenceNow)
        #expect(merged.models == [ModelQuota(name: "m", percentage: 90)])
        #expect(merged.lastUpdated == referenceNow)
        #expect(!merged.isForbidden)
    }

    @Test func forbiddenDropsFigures() {
        let quota = AccountQuota(models: [ModelQuota(name: "m", percentage: 50)], lastUpdated: nil)
        let forbidden = QuotaMerge.markingForbidden(quota, now: referenceNow)
        #expect(forbidden.isForbidden)
        #expect(forbidden.models.isEmpty)
        #expect(forbidden.lastUpdated == referenceNow)
    }

    @Test func staleness() {
        func quota(age: TimeInterval?) -> AccountQuota {
            AccountQuota(models: [], lastUpdated: age.map { referenceNow.addingTimeInterval(-$0) })
        }
        #expect(QuotaMerge.isStale(quota(age: nil), now: referenceNow, refreshIntervalSeconds: 300))
        #expect(!QuotaMerge.isStale(quota(age: 600), now: referenceNow, refreshIntervalSeconds: 300))
        #expect(QuotaMerge.isStale(quota(age: 601), now: referenceNow, refreshIntervalSeconds: 300))
        #expect(!QuotaMerge.isStale(quota(age: 601), now: referenceNow, refreshIntervalSeconds: 300, factor: 3))
        #expect(!QuotaMerge.isStale(quota(age: -50), now: referenceNow, refreshIntervalSeconds: 300))
        #expect(QuotaMerge.age(of: quota(age: 42), now: referenceNow) == 42)
    }
}

@Suite struct RecheckPlannerTests {
    let planner = RecheckPlanner(normalizer: .default)

    @Test func earliestFutureResetOfProtectedOrExhaustedModel() {
        let soon = referenceNow.addingTimeInterval(600)
        let later = referenceNow.addingTimeInterval(3600)
        let account = makeAccount(
            "acc-1",
            models: [("claude-sonnet-4-5-thinking", 8), ("gemini-3-flash", 0), ("gpt-4o", 50)],
            resets: ["claude-sonnet-4-5-thinking": later, "gemini-3-flash": soon, "gpt-4o": referenceNow.addingTimeInterval(60)],
            protected: ["claude-sonnet-4-5"])
        let recheck = planner.nextRecheck(for: account)
        #expect(recheck == ScheduledRecheck(accountID: "acc-1", at: soon.addingTimeInterval(5), models: ["gemini-3-flash"]))
    }

    @Test func protectedViaGroupCounts() {
        let reset = referenceNow.addingTimeInterval(900)
        let account = makeAccount(
            "acc-1", models: [("claude-opus-4-5-thinking", 9)], resets: ["claude-opus-4-5-thinking": reset],
            protected: ["claude-sonnet-4-5"])
        #expect(planner.nextRecheck(for: account)?.at == reset.addingTimeInterval(5))
    }

    @Test func healthyOrUnknownResetIsNotScheduled() {
        let healthy = makeAccount("a", models: [("m", 50)], resets: ["m": referenceNow.addingTimeInterval(60)])
        let noReset = makeAccount("b", models: [("m", 0)])
        let disabled = makeAccount("c", models: [("m", 0)], resets: ["m": referenceNow.addingTimeInterval(60)], disabled: true)
        #expect(planner.nextRechecks([healthy, noReset, disabled]).isEmpty)
    }

    @Test func resetPassedAfterLastRefreshIsDueButOneBeforeIsIgnored() {
        let updated = referenceNow.addingTimeInterval(-600)
        let missed = makeAccount(
            "missed", models: [("m", 0)], resets: ["m": referenceNow.addingTimeInterval(-60)], lastUpdated: updated)
        let observed = makeAccount(
            "observed", models: [("m", 0)], resets: ["m": referenceNow.addingTimeInterval(-900)], lastUpdated: updated)
        #expect(planner.dueRechecks([missed, observed], now: referenceNow) == ["missed"])
        #expect(planner.nextRecheck(for: observed) == nil)
    }

    @Test func dueOnlyAfterGrace() {
        let reset = referenceNow.addingTimeInterval(100)
        let account = makeAccount("a", models: [("m", 0)], resets: ["m": reset])
        #expect(planner.dueRechecks([account], now: reset).isEmpty)
        #expect(planner.dueRechecks([account], now: reset.addingTimeInterval(4.9)).isEmpty)
        #expect(planner.dueRechecks([account], now: reset.addingTimeInterval(5)) == ["a"])
        #expect(planner.nextWakeUp([account], now: referenceNow) == reset.addingTimeInterval(5))
    }

    @Test func sortedByTimeThenID() {
        let t1 = referenceNow.addingTimeInterval(100)
        let t2 = referenceNow.addingTimeInterval(200)
        let accounts = [
            makeAccount("c", models: [("m", 0)], resets: ["m": t2]),
            makeAccount("b", models: [("m", 0)], resets: ["m": t1]),
            makeAccount("a", models: [("m", 0)], resets: ["m": t2]),
        ]
        #expect(planner.nextRechecks(accounts).map(\.accountID) == ["b", "a", "c"])
    }
}
