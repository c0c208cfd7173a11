import Foundation
import Testing
@testable import QuotaCore

@Suite struct WarmupPlannerTests {
    func planner(monitored: [String] = ["*"], enabled: Bool = true, cooldown: Int = 14400) -> WarmupPlanner {
        var config = QuotaProxyConfiguration()
        config.scheduledWarmup.monitoredModels = monitored
        config.scheduledWarmup.enabled = enabled
        config.scheduledWarmup.cooldownSeconds = cooldown
        return WarmupPlanner(configuration: config)
    }

    func history(_ entries: [String: TimeInterval]) -> WarmupHistory {
        WarmupHistory(entries: entries.mapValues { Timestamp.unixSeconds(referenceNow.addingTimeInterval(-$0)) })
    }

    @Test func exactlyHundredIsWarmedButNotNinetyNineNine() {
        let account = makeAccount("acc-1", models: [("full", 100), ("almost", 99.9)])
        let plan = planner().plan(accounts: [account], history: WarmupHistory(), now: referenceNow)
        #expect(plan.toWarm == [WarmupTarget(accountID: "acc-1", model: "full")])
        #expect(plan.notFull == 1)
        #expect(plan.cooldown == 0)
        #expect(plan.enabled)
    }

    @Test func cooldownEdgeAtExactlyFourHours() {
        let account = makeAccount("acc-1", models: [("m", 100)])
        let key = WarmupHistory.key(account: "acc-1", model: "m")
        let atEdge = planner().plan(accounts: [account], history: history([key: 14400]), now: referenceNow)
        #expect(atEdge.toWarm == [WarmupTarget(accountID: "acc-1", model: "m")])
        #expect(atEdge.cooldown == 0)
        let justInside = planner().plan(accounts: [account], history: history([key: 14399]), now: referenceNow)
        #expect(justInside.toWarm.isEmpty)
        #expect(justInside.cooldown == 1)
        #expect(justInside.history.entries[key] != nil)
        #expect(planner().isInCooldown(WarmupTarget(accountID: "acc-1", model: "m"), history: history([key: 14399]), now: referenceNow))
    }

    @Test func configuredCooldownIsUsed() {
        let account = makeAccount("acc-1", models: [("m", 100)])
        let key = WarmupHistory.key(account: "acc-1", model: "m")
        let plan = planner(cooldown: 600).plan(accounts: [account], history: history([key: 601]), now: referenceNow)
        #expect(plan.toWarm.count == 1)
    }

    @Test func belowHundredRemovesHistoryEvenForUnmonitoredModels() {
        let account = makeAccount("acc-1", models: [("watched", 40), ("unwatched", 99), ("kept", 100)])
        let keys = ["watched", "unwatched", "kept"].map { WarmupHistory.key(account: "acc-1", model: $0) }
        let plan = planner(monitored: ["watched", "kept"]).plan(
            accounts: [account], history: history([keys[0]: 60, keys[1]: 60, keys[2]: 60]), now: referenceNow)
        #expect(plan.history.entries.keys.sorted() == [keys[2]])
        #expect(plan.removedHistoryKeys == [keys[1], keys[0]].sorted())
        #expect(plan.notFull == 1)  // only the monitored one counts
        #expect(plan.cooldown == 1)
        #expect(plan.historyChanged)
    }

    @Test func entriesOlderThanADayArePruned() {
        let plan = planner().plan(
            accounts: [], history: history(["old:m:100": 86400, "older:m:100": 90000, "young:m:100": 86399]), now: referenceNow)
        #expect(plan.history.entries.keys.sorted() == ["young:m:100"])
        #expect(plan.prunedHistoryKeys == ["old:m:100", "older:m:100"])
    }

    @Test func pruningNeverCutsALongerCooldownShort() {
        var entries = history(["a:m:100": 100_000])
        let pruned = WarmupPlanner.prune(&entries, now: referenceNow, cooldownSeconds: 172_800)
        #expect(pruned.isEmpty)
        #expect(entries.entries.count == 1)
    }

    @Test func disabledAndForbiddenAccountsAreSkipped() {
        let accounts = [
            makeAccount("disabled", models: [("m", 100)], disabled: true),
            makeAccount("forbidden", models: [("m", 100)], forbidden: true),
            makeAccount("ok", models: [("m", 100)]),
        ]
        let plan = planner().plan(accounts: accounts, history: WarmupHistory(), now: referenceNow)
        #expect(plan.toWarm == [WarmupTarget(accountID: "ok", model: "m")])
        #expect(plan.skippedAccounts == 2)
        #expect(plan.accountCount == 3)
    }

    @Test func rollingHeaderQuotaNeverTriggers() {
        let account = makeAccount("headers", models: [("m", 100)], source: .headers)
        let plan = planner().plan(accounts: [account], history: WarmupHistory(), now: referenceNow)
        #expect(plan.toWarm.isEmpty)
        #expect(plan.rollingQuotaAccounts == 1)
        #expect(plan.notFull == 0 && plan.stale == 0 && plan.skippedAccounts == 0)
    }

    @Test func quotaURLSourceIsWindowed() {
        let account = makeAccount("q", models: [("m", 100)], source: QuotaSource(kind: .quotaURL, url: "https://q.example.com"))
        #expect(planner().plan(accounts: [account], history: WarmupHistory(), now: referenceNow).toWarm.count == 1)
    }

    @Test func staleQuotaIsReportedNotWarmed() {
        let stale = makeAccount("stale", models: [("m", 100), ("n", 20), ("x", 100)], lastUpdated: referenceNow.addingTimeInterval(-601))
        let never = makeAccount("never", models: [], lastUpdated: nil)
        let key = WarmupHistory.key(account: "stale", model: "n")
        let plan = planner(monitored: ["m", "n"]).plan(accounts: [stale, never], history: history([key: 60]), now: referenceNow)
        #expect(plan.toWarm.isEmpty)
        #expect(plan.stale == 2)
        #expect(plan.staleAccountIDs == ["never", "stale"])
        #expect(plan.history.entries[key] != nil)  // stale figures never remove history
        // exactly two intervals old is still fresh
        let fresh = makeAccount("fresh", models: [("m", 100)], lastUpdated: referenceNow.addingTimeInterval(-600))
        #expect(planner().plan(accounts: [fresh], history: WarmupHistory(), now: referenceNow).toWarm.count == 1)
    }

    @Test func monitoredMatchingIsGroupAware() {
        let account = makeAccount(
            "acc-1", models: [("claude-sonnet-4-5-thinking", 100), ("gemini-3-flash", 100), ("gpt-4o", 100)])
        let plan = planner(monitored: ["claude-sonnet-4-5", "gpt-4o"]).plan(accounts: [account], history: WarmupHistory(), now: referenceNow)
        #expect(plan.toWarm.map(\.model) == ["claude-sonnet-4-5-thinking", "gpt-4o"])
    }

    @Test func modelsTheAccountDoesNotServeAreIgnored() {
        let account = makeAccount("acc-1", models: [("served", 100), ("other", 100)], serves: ["served"])
        let plan = planner().plan(accounts: [account], history: WarmupHistory(), now: referenceNow)
        #expect(plan.toWarm.map(\.model) == ["served"])
    }

    @Test func deterministicOrderAndNoDuplicates() {
        let accounts = [
            makeAccount("b", models: [("z", 100), ("a", 100), ("a", 100)]),
            makeAccount("a", models: [("m", 100)]),
        ]
        let plan = planner().plan(accounts: accounts, history: WarmupHistory(), now: referenceNow)
        #expect(plan.toWarm.map(\.description) == ["m@a", "a@b", "z@b"])
        let reversed = planner().plan(accounts: accounts.reversed(), history: WarmupHistory(), now: referenceNow)
        #expect(reversed == plan)
    }

    @Test func plannerDoesNotRecordNewWarmups() {
        let account = makeAccount("acc-1", models: [("m", 100)])
        let plan = planner().plan(accounts: [account], history: WarmupHistory(), now: referenceNow)
        #expect(plan.toWarm.count == 1)
        #expect(plan.history.entries.isEmpty)
        #expect(!plan.historyChanged)
    }

    @Test func disabledWarmupPlansNothing() {
        let account = makeAccount("acc-1", models: [("m", 100), ("n", 10)])
        let old = history(["acc-1:n:100": 90000])
        let plan = planner(enabled: false).plan(accounts: [account], history: old, now: referenceNow)
        #expect(!plan.enabled)
        #expect(plan.toWarm.isEmpty)
        #expect(plan.history == old)
    }

    @Test func summaryLine() {
        #expect(
            WarmupPlanner.scanSummaryLine(accounts: 12, warmed: 3, cooldown: 5, notFull: 20, stale: 0, failed: 0, nextInSeconds: 600)
                == "scan: accounts=12 warmed=3 cooldown=5 not_full=20 stale=0 failed=0 next_in=600s")
        let account = makeAccount("acc-1", models: [("m", 100), ("n", 50)])
        let plan = planner().plan(accounts: [account], history: WarmupHistory(), now: referenceNow)
        #expect(plan.summaryLine(warmed: 0, failed: 1, nextInSeconds: 600)
            == "scan: accounts=1 warmed=0 cooldown=0 not_full=1 stale=0 failed=1 next_in=600s")
    }
}
