import Foundation
import Testing

@testable import QuotaCore

@Suite struct AccountSelectorTests {
    let now = fixtureEpoch
    let sonnetGroups = AccountPool.groupMap(from: QuotaProxyConfiguration.defaultModelGroups)

    func request(
        _ model: String = "m", group: String? = nil, provider: Provider = .openai,
        strategy: QuotaProxyConfiguration.RoutingStrategy = .roundRobin, protection: Bool = true,
        disableFallback: Bool = false, excluding: Set<String> = []
    ) -> SelectionRequest {
        SelectionRequest(
            provider: provider, model: model, group: group, strategy: strategy, protectionEnabled: protection,
            disableFallback: disableFallback, excluding: excluding)
    }

    // MARK: Tiers

    @Test func primaryBeforeFallback() {
        var selector = AccountSelector(accounts: [makePoolAccount("f1", tier: .fallback), makePoolAccount("p1")])
        var book = CooldownBook()
        let first = selector.pick(request(), cooldowns: book, now: now)
        #expect(first.selected == SelectedAccount(index: 1, id: "p1", tier: .primary))
        book.recordQuotaExhausted(account: "p1", group: "m", resetAt: now.addingTimeInterval(60), now: now)
        let second = selector.pick(request(), cooldowns: book, now: now)
        #expect(second.selected == SelectedAccount(index: 0, id: "f1", tier: .fallback))
        // Primary recovers: back to primary.
        let r1 = selector.pick(request(), cooldowns: book, now: now.addingTimeInterval(60))
        #expect(r1.pickedID == "p1")
    }

    @Test func fallbackOnlyWhenNoPrimaryCandidate() {
        var selector = AccountSelector(accounts: [
            makePoolAccount("p1", protected: ["m"]), makePoolAccount("p2", disabled: true), makePoolAccount("f1", tier: .fallback),
        ])
        let r2 = selector.pick(request(), cooldowns: CooldownBook(), now: now)
        #expect(r2.selected?.tier == .fallback)
        let r3 = selector.pick(request(protection: false), cooldowns: CooldownBook(), now: now)
        #expect(r3.pickedID == "p1")
    }

    @Test func disableFallbackNeverUsesFallback() {
        var selector = AccountSelector(accounts: [makePoolAccount("p1"), makePoolAccount("f1", tier: .fallback)])
        var book = CooldownBook()
        book.recordQuotaExhausted(account: "p1", group: "m", resetAt: now.addingTimeInterval(90), now: now)
        let selection = selector.pick(request(disableFallback: true), cooldowns: book, now: now)
        let report = try! #require(selection.unavailability)
        #expect(report.fallbackSkipped)
        #expect(report.fallback.total == 1)
        #expect(report.primary.quotaExhausted == 1)
        #expect(!report.willNeverRecover)
        #expect(report.httpStatus == 429)
        #expect(report.earliestRecovery == now.addingTimeInterval(90))
        #expect(report.message.contains("routing.disable_fallback"))
        // Without the flag the fallback account serves.
        let r4 = selector.pick(request(), cooldowns: book, now: now)
        #expect(r4.pickedID == "f1")
    }

    @Test func disableFallbackWithoutPrimaryIsPermanent() {
        var selector = AccountSelector(accounts: [makePoolAccount("f1", tier: .fallback)])
        let r101 = selector.pick(request(disableFallback: true), cooldowns: CooldownBook(), now: now)
        let report = try! #require(r101.unavailability)
        #expect(report.willNeverRecover)
        #expect(report.httpStatus == 503)
        #expect(report.message == "No primary openai account serves m, and fallback accounts are not used (routing.disable_fallback)")
    }

    // MARK: Filters

    @Test func providerFilter() {
        var selector = AccountSelector(accounts: [makePoolAccount("a1", provider: .anthropic), makePoolAccount("o1")])
        let r5 = selector.pick(request(provider: .anthropic), cooldowns: CooldownBook(), now: now)
        #expect(r5.pickedID == "a1")
        let r6 = selector.pick(request(provider: .openai), cooldowns: CooldownBook(), now: now)
        #expect(r6.pickedID == "o1")
        var anthropicOnly = AccountSelector(accounts: [makePoolAccount("a1", provider: .anthropic)])
        let r102 = anthropicOnly.pick(request(provider: .openai), cooldowns: CooldownBook(), now: now)
        let report = try! #require(r102.unavailability)
        #expect(report.willNeverRecover)
        #expect(report.considered.total == 0)
        #expect(report.message == "No openai account serves m")
    }

    @Test func modelsNilMeansAnyModel() {
        var selector = AccountSelector(accounts: [makePoolAccount("listed", models: ["gpt-4o"]), makePoolAccount("any")])
        var fill = request("gpt-4o", strategy: .fillFirst)
        let r7 = selector.pick(fill, cooldowns: CooldownBook(), now: now)
        #expect(r7.pickedID == "listed")
        fill.model = "some-new-model"
        let r8 = selector.pick(fill, cooldowns: CooldownBook(), now: now)
        #expect(r8.pickedID == "any")
        var onlyListed = AccountSelector(accounts: [makePoolAccount("listed", models: ["gpt-4o"])])
        let r9 = onlyListed.pick(fill, cooldowns: CooldownBook(), now: now)
        #expect(r9.unavailability?.willNeverRecover == true)
    }

    @Test func disabledAndForbiddenAreSkipped() {
        var selector = AccountSelector(accounts: [
            makePoolAccount("d", disabled: true), makePoolAccount("f", forbidden: true), makePoolAccount("ok"),
        ])
        for _ in 0..<3 {
            let r10 = selector.pick(request(), cooldowns: CooldownBook(), now: now)
            #expect(r10.pickedID == "ok")
        }
        selector.setDisabled(accountID: "ok", disabled: true, reason: "operator")
        let r103 = selector.pick(request(), cooldowns: CooldownBook(), now: now)
        let report = try! #require(r103.unavailability)
        #expect(report.willNeverRecover)
        #expect(report.primary.disabled == 2)
        #expect(report.primary.forbidden == 1)
        #expect(report.message == "No account can serve m: all 3 accounts are disabled or forbidden")
        #expect(selector.pool[id: "ok"]?.disabledReason == "operator")
    }

    @Test func forbiddenComesFromQuotaUpdates() {
        var selector = AccountSelector(accounts: [makePoolAccount("a"), makePoolAccount("b")])
        selector.updateQuota(accountID: "a", quota: AccountQuota(isForbidden: true))
        let fill = request(strategy: .fillFirst)
        let r11 = selector.pick(fill, cooldowns: CooldownBook(), now: now)
        #expect(r11.pickedID == "b")
        selector.updateQuota(accountID: "a", quota: AccountQuota(isForbidden: false))
        let r12 = selector.pick(fill, cooldowns: CooldownBook(), now: now)
        #expect(r12.pickedID == "a")
    }

    @Test func protectionIsPerGroup() {
        var selector = AccountSelector(accounts: [makePoolAccount("a", protected: ["claude-sonnet-4-5"]), makePoolAccount("b")], modelGroups: sonnetGroups)
        let sonnet = request("claude-sonnet-4-5-thinking", group: "claude-sonnet-4-5", strategy: .fillFirst)
        let r13 = selector.pick(sonnet, cooldowns: CooldownBook(), now: now)
        #expect(r13.pickedID == "b")
        let r14 = selector.pick(request("gemini-3-flash", strategy: .fillFirst), cooldowns: CooldownBook(), now: now)
        #expect(r14.pickedID == "a")
        selector.setProtected(accountID: "a", groups: [])
        let r15 = selector.pick(sonnet, cooldowns: CooldownBook(), now: now)
        #expect(r15.pickedID == "a")
    }

    @Test func groupDefaultsToThePoolsNormalization() {
        var selector = AccountSelector(accounts: [makePoolAccount("a", protected: ["claude-sonnet-4-5"]), makePoolAccount("b")], modelGroups: sonnetGroups)
        let selection = selector.pick(request("claude-opus-4-5-thinking", strategy: .fillFirst), cooldowns: CooldownBook(), now: now)
        #expect(selection.pickedID == "b")
        selector.setDisabled(accountID: "b", disabled: true)
        let report = selector.pick(request("claude-opus-4-5-thinking", strategy: .fillFirst), cooldowns: CooldownBook(), now: now)
        #expect(report.unavailability?.group == "claude-sonnet-4-5")
        #expect(report.unavailability?.primary.protected == 1)
    }

    @Test func excludesAlreadyTriedAccounts() {
        var selector = AccountSelector(accounts: [makePoolAccount("a"), makePoolAccount("b"), makePoolAccount("f", tier: .fallback)])
        let fill = request(strategy: .fillFirst, excluding: ["a"])
        let r16 = selector.pick(fill, cooldowns: CooldownBook(), now: now)
        #expect(r16.pickedID == "b")
        let all = request(strategy: .fillFirst, excluding: ["a", "b", "unknown"])
        let r17 = selector.pick(all, cooldowns: CooldownBook(), now: now)
        #expect(r17.pickedID == "f")
        let r104 = selector.pick(request(excluding: ["a", "b", "f"]), cooldowns: CooldownBook(), now: now)
        let report = try! #require(r104.unavailability)
        #expect(report.primary.alreadyTried == 2)
        #expect(report.fallback.alreadyTried == 1)
        #expect(!report.willNeverRecover)
        #expect(report.retryAfterSeconds(now: now) == 1)
        #expect(report.message == "No account can serve m right now: 3 already tried")
    }

    // MARK: Strategies

    @Test func roundRobinRotatesFairly() {
        let accounts = (0..<5).map { makePoolAccount("a\($0)") }
        var selector = AccountSelector(accounts: accounts)
        var counts: [String: Int] = [:]
        var sequence: [String] = []
        for _ in 0..<100 {
            let id = selector.pick(request(), cooldowns: CooldownBook(), now: now).pickedID!
            counts[id, default: 0] += 1
            if sequence.count < 7 { sequence.append(id) }
        }
        #expect(sequence == ["a0", "a1", "a2", "a3", "a4", "a0", "a1"])
        #expect(counts == ["a0": 20, "a1": 20, "a2": 20, "a3": 20, "a4": 20])

        var book = CooldownBook()
        book.recordRateLimited(account: "a2", group: "m", until: now.addingTimeInterval(600), now: now)
        counts = [:]
        for _ in 0..<100 {
            counts[selector.pick(request(), cooldowns: book, now: now).pickedID!, default: 0] += 1
        }
        #expect(counts == ["a0": 25, "a1": 25, "a3": 25, "a4": 25])
    }

    @Test func roundRobinMergesListedAndAnyModelAccounts() {
        let accounts = [
            makePoolAccount("x0", models: ["m"]), makePoolAccount("x1"), makePoolAccount("x2", models: ["other"]),
            makePoolAccount("x3", models: ["m", "other"]), makePoolAccount("x4"),
        ]
        var selector = AccountSelector(accounts: accounts)
        let picks = (0..<8).map { _ in selector.pick(request(), cooldowns: CooldownBook(), now: now).pickedID! }
        #expect(picks == ["x0", "x1", "x3", "x4", "x0", "x1", "x3", "x4"])
    }

    @Test func roundRobinCursorIsPerGroupAndTier() {
        var selector = AccountSelector(accounts: [makePoolAccount("a"), makePoolAccount("b")])
        let r18 = selector.pick(request("m1"), cooldowns: CooldownBook(), now: now)
        #expect(r18.pickedID == "a")
        let r19 = selector.pick(request("m2"), cooldowns: CooldownBook(), now: now)
        #expect(r19.pickedID == "a")
        let r20 = selector.pick(request("m1"), cooldowns: CooldownBook(), now: now)
        #expect(r20.pickedID == "b")
        // Two models in one group share the rotation.
        let r21 = selector.pick(request("m3", group: "m1"), cooldowns: CooldownBook(), now: now)
        #expect(r21.pickedID == "a")
    }

    @Test func walksAcrossBitmapWordBoundaries() {
        let accounts = (0..<130).map { makePoolAccount("a\($0)") }
        var selector = AccountSelector(accounts: accounts)
        var sequence: [String] = []
        for _ in 0..<260 {
            let selection = selector.pick(request(), cooldowns: CooldownBook(), now: now)
            sequence.append(selection.pickedID ?? "none")
        }
        #expect(sequence == (accounts + accounts).map(\.id))

        var book = CooldownBook()
        for index in 0..<127 { book.recordRateLimited(account: "a\(index)", group: "m", until: nil, now: now) }
        for expected in ["a127", "a128", "a129"] {
            let selection = selector.pick(request(strategy: .fillFirst), cooldowns: book, now: now)
            #expect(selection.pickedID == expected)
            book.recordRateLimited(account: expected, group: "m", until: nil, now: now)
        }
        let last = selector.pick(request(strategy: .fillFirst), cooldowns: book, now: now)
        #expect(last.unavailability?.primary.rateLimited == 130)
        // Round-robin from the middle of a word wraps around to the low bits of that word.
        book.clear(account: "a5", group: "m")
        let cursorSetter = selector.pick(request(), cooldowns: book, now: now)
        #expect(cursorSetter.pickedID == "a5")
        book.recordRateLimited(account: "a5", group: "m", until: nil, now: now)
        book.clear(account: "a2", group: "m")
        let wrapped = selector.pick(request(), cooldowns: book, now: now)
        #expect(wrapped.pickedID == "a2")
    }

    @Test func fillFirstSticksUntilUnusable() {
        var selector = AccountSelector(accounts: (0..<4).map { makePoolAccount("a\($0)") })
        var book = CooldownBook()
        let fill = request(strategy: .fillFirst)
        for _ in 0..<5 {
            let r22 = selector.pick(fill, cooldowns: book, now: now)
            #expect(r22.pickedID == "a0")
        }
        book.recordQuotaExhausted(account: "a0", group: "m", resetAt: now.addingTimeInterval(100), now: now)
        for _ in 0..<5 {
            let r23 = selector.pick(fill, cooldowns: book, now: now)
            #expect(r23.pickedID == "a1")
        }
        book.recordRateLimited(account: "a1", group: "m", until: now.addingTimeInterval(50), now: now)
        let r24 = selector.pick(fill, cooldowns: book, now: now)
        #expect(r24.pickedID == "a2")
        let r25 = selector.pick(fill, cooldowns: book, now: now.addingTimeInterval(50))
        #expect(r25.pickedID == "a1")
        let r26 = selector.pick(fill, cooldowns: book, now: now.addingTimeInterval(100))
        #expect(r26.pickedID == "a0")
    }

    @Test func mostRemainingPicksTheHighestPercentageOfTheGroup() {
        let accounts = [
            makePoolAccount("low", quota: [ModelQuota(name: "claude-sonnet-4-5", percentage: 20)]),
            makePoolAccount("high", quota: [
                ModelQuota(name: "claude-sonnet-4-5", percentage: 10),
                ModelQuota(name: "claude-sonnet-4-5-thinking", percentage: 90),  // same group: the best counts
            ]),
            makePoolAccount("mid", models: ["claude-sonnet-4-5", "claude-sonnet-4-5-thinking"], quota: [ModelQuota(name: "claude-sonnet-4-5", percentage: 50)]),
            makePoolAccount("other-group", quota: [ModelQuota(name: "gemini-3-flash", percentage: 5)]),
        ]
        var selector = AccountSelector(accounts: accounts, modelGroups: sonnetGroups)
        let most = request("claude-sonnet-4-5", group: "claude-sonnet-4-5", strategy: .mostRemaining)
        // "other-group" has no figure for the group: unknown counts as 100.
        let r27 = selector.pick(most, cooldowns: CooldownBook(), now: now)
        #expect(r27.pickedID == "other-group")
        selector.updateModelQuota(accountID: "other-group", ModelQuota(name: "claude-sonnet-4-5", percentage: 1), now: now)
        let r28 = selector.pick(most, cooldowns: CooldownBook(), now: now)
        #expect(r28.pickedID == "high")
        #expect(selector.pool.percentage(accountID: "high", group: "claude-sonnet-4-5") == 90)

        // Live headers lower "high": "mid" (explicit list) is next, then "low".
        selector.updateQuota(accountID: "high", quota: AccountQuota(models: [ModelQuota(name: "claude-sonnet-4-5-thinking", percentage: 30)]))
        let r29 = selector.pick(most, cooldowns: CooldownBook(), now: now)
        #expect(r29.pickedID == "mid")
        selector.updateModelQuota(accountID: "mid", ModelQuota(name: "claude-sonnet-4-5", percentage: 25), now: now)
        let r30 = selector.pick(most, cooldowns: CooldownBook(), now: now)
        #expect(r30.pickedID == "high")
        #expect(selector.pool[id: "mid"]?.quota.lastUpdated == now)
        // A blocked top account is skipped.
        var book = CooldownBook()
        book.recordRateLimited(account: "high", group: "claude-sonnet-4-5", until: nil, now: now)
        let r31 = selector.pick(most, cooldowns: book, now: now)
        #expect(r31.pickedID == "mid")
        // The thinking variant is served by "mid" (listed) and the any-model accounts.
        let thinking = request("claude-sonnet-4-5-thinking", group: "claude-sonnet-4-5", strategy: .mostRemaining)
        let r32 = selector.pick(thinking, cooldowns: book, now: now)
        #expect(r32.pickedID == "mid")
    }

    @Test func mostRemainingTiesGoToStableOrder() {
        var selector = AccountSelector(accounts: [
            makePoolAccount("a", quota: [ModelQuota(name: "m", percentage: 40)]),
            makePoolAccount("b", quota: [ModelQuota(name: "m", percentage: 70)]),
            makePoolAccount("c", quota: [ModelQuota(name: "m", percentage: 70)]),
        ])
        let most = request(strategy: .mostRemaining)
        let r33 = selector.pick(most, cooldowns: CooldownBook(), now: now)
        #expect(r33.pickedID == "b")
        selector.updateModelQuota(accountID: "a", ModelQuota(name: "m", percentage: 70), now: now)
        let r34 = selector.pick(most, cooldowns: CooldownBook(), now: now)
        #expect(r34.pickedID == "a")
        selector.updateModelQuota(accountID: "c", ModelQuota(name: "m", percentage: 71), now: now)
        let r35 = selector.pick(most, cooldowns: CooldownBook(), now: now)
        #expect(r35.pickedID == "c")
    }

    @Test func mostRemainingWithAGroupTheCallerNormalizesDifferently() {
        // The pool thinks "x" is its own group; the caller says it belongs to "g".
        var selector = AccountSelector(accounts: [
            makePoolAccount("a", models: ["x"], quota: [ModelQuota(name: "g", percentage: 10)]),
            makePoolAccount("b", models: ["x"], quota: [ModelQuota(name: "g", percentage: 60)]),
            makePoolAccount("c", quota: [ModelQuota(name: "g", percentage: 30)]),
        ])
        let most = request("x", group: "g", strategy: .mostRemaining)
        let r36 = selector.pick(most, cooldowns: CooldownBook(), now: now)
        #expect(r36.pickedID == "b")
        selector.setDisabled(accountID: "b", disabled: true)
        let r37 = selector.pick(most, cooldowns: CooldownBook(), now: now)
        #expect(r37.pickedID == "c")
    }

    // MARK: Unavailability

    @Test func unavailabilityReport() {
        let reset = Timestamp.parse("2026-11-22T18:00:00Z")!
        let t = reset.addingTimeInterval(-3600)
        var selector = AccountSelector(
            accounts: [
                makePoolAccount("p1", models: ["claude-sonnet-4-5"], quota: [ModelQuota(name: "claude-sonnet-4-5", percentage: 5, resetTime: reset)], protected: ["claude-sonnet-4-5"]),
                makePoolAccount("p2", quota: [ModelQuota(name: "claude-sonnet-4-5-thinking", percentage: 8, resetTime: reset.addingTimeInterval(600))], protected: ["claude-sonnet-4-5"]),
                makePoolAccount("c1"),
                makePoolAccount("gone", disabled: true),
                makePoolAccount("other", models: ["gpt-4o"]),
                makePoolAccount("anthropic", provider: .anthropic),
            ], modelGroups: sonnetGroups)
        var book = CooldownBook()
        book.recordRateLimited(account: "c1", group: "claude-sonnet-4-5", until: reset.addingTimeInterval(1800), now: t)
        let sonnet = request("claude-sonnet-4-5", group: "claude-sonnet-4-5")
        let r105 = selector.pick(sonnet, cooldowns: book, now: t)
        let report = try! #require(r105.unavailability)
        #expect(report.primary.total == 4)
        #expect(report.primary.protected == 2)
        #expect(report.primary.rateLimited == 1)
        #expect(report.primary.coolingDown == 1)
        #expect(report.primary.disabled == 1)
        #expect(report.fallback.total == 0)
        #expect(!report.fallbackSkipped)
        #expect(report.earliestRecovery == reset)
        #expect(!report.willNeverRecover)
        #expect(report.retryAfterSeconds(now: t) == 3600)
        #expect(report.message == "No account can serve claude-sonnet-4-5 right now: 2 protected, 1 cooling down, 1 disabled; earliest recovery 2026-11-22T18:00:00Z")
        // With protection off the protected accounts serve again.
        let r38 = selector.pick(request("claude-sonnet-4-5", group: "claude-sonnet-4-5", protection: false), cooldowns: book, now: t)
        #expect(r38.pickedID == "p1")
    }

    @Test func earliestRecoveryIsTheMinimumOverCooldownsAndProtection() {
        var selector = AccountSelector(accounts: [
            makePoolAccount("p", quota: [ModelQuota(name: "m", percentage: 1, resetTime: now.addingTimeInterval(500))], protected: ["m"]),
            makePoolAccount("c"),
            makePoolAccount("f", tier: .fallback),
        ])
        var book = CooldownBook()
        book.recordQuotaExhausted(account: "c", group: "m", resetAt: now.addingTimeInterval(900), now: now)
        book.recordQuotaExhausted(account: "f", group: "m", resetAt: now.addingTimeInterval(200.5), now: now)
        let r106 = selector.pick(request(), cooldowns: book, now: now)
        let report = try! #require(r106.unavailability)
        #expect(report.earliestRecovery == now.addingTimeInterval(200.5))
        #expect(report.retryAfterSeconds(now: now) == 201)
        #expect(report.fallback.quotaExhausted == 1)
        #expect(report.considered.coolingDown == 2)
    }

    @Test func protectedWithoutKnownResetHasUnknownRecovery() {
        var selector = AccountSelector(accounts: [
            makePoolAccount("p", quota: [ModelQuota(name: "m", percentage: 1, resetTime: now.addingTimeInterval(-5))], protected: ["m"]),
        ])
        let r107 = selector.pick(request(), cooldowns: CooldownBook(), now: now)
        let report = try! #require(r107.unavailability)
        #expect(report.earliestRecovery == nil)
        #expect(report.retryAfterSeconds(now: now) == 60)
        #expect(report.retryAfterSeconds(now: now, whenUnknown: 30) == 30)
        #expect(report.message == "No account can serve m right now: 1 protected; earliest recovery unknown")
    }

    @Test func reportRecoveryTimesRefreshWithinTheScanLifetime() {
        var selector = AccountSelector(accounts: [
            makePoolAccount("p", quota: [ModelQuota(name: "m", percentage: 1, resetTime: now.addingTimeInterval(500))], protected: ["m"]),
        ])
        let first = selector.pick(request(), cooldowns: CooldownBook(), now: now)
        #expect(first.unavailability?.earliestRecovery == now.addingTimeInterval(500))
        selector.updateModelQuota(accountID: "p", ModelQuota(name: "m", percentage: 2, resetTime: now.addingTimeInterval(900)), now: now)
        let later = selector.pick(request(), cooldowns: CooldownBook(), now: now.addingTimeInterval(selector.scanCacheLifetime))
        #expect(later.unavailability?.earliestRecovery == now.addingTimeInterval(900))
        selector.updateModelQuota(accountID: "p", ModelQuota(name: "m", percentage: 2, resetTime: now.addingTimeInterval(700)), now: now)
        selector.forgetCachedScans()
        let forced = selector.pick(request(), cooldowns: CooldownBook(), now: now.addingTimeInterval(selector.scanCacheLifetime))
        #expect(forced.unavailability?.earliestRecovery == now.addingTimeInterval(700))
    }

    @Test func retryAfterIsAtLeastOneSecond() {
        let report = Unavailability(
            providers: [.openai], model: "m", group: "m", primary: .init(), fallback: .init(), fallbackSkipped: false,
            earliestRecovery: fixtureEpoch.addingTimeInterval(-10), willNeverRecover: false)
        #expect(report.retryAfterSeconds(now: fixtureEpoch) == 1)
    }

    // MARK: Scan cache

    @Test func cachedScanSeesLiftedBlocksAtOnce() {
        var selector = AccountSelector(accounts: [makePoolAccount("p1"), makePoolAccount("p2"), makePoolAccount("f1", tier: .fallback)])
        var book = CooldownBook()
        for id in ["p1", "p2"] {
            book.recordQuotaExhausted(account: id, group: "m", resetAt: now.addingTimeInterval(3600), now: now)
        }
        for _ in 0..<3 {
            let r39 = selector.pick(request(), cooldowns: book, now: now)
            #expect(r39.pickedID == "f1")
        }
        book.clear(account: "p2", group: "m")
        let r40 = selector.pick(request(), cooldowns: book, now: now)
        #expect(r40.pickedID == "p2")
    }

    @Test func cachedScanSeesPoolChangesAtOnce() {
        var selector = AccountSelector(accounts: [makePoolAccount("p1", protected: ["m"]), makePoolAccount("f1", tier: .fallback)])
        for _ in 0..<3 {
            let r41 = selector.pick(request(), cooldowns: CooldownBook(), now: now)
            #expect(r41.pickedID == "f1")
        }
        selector.setProtected(accountID: "p1", groups: [])
        let r42 = selector.pick(request(), cooldowns: CooldownBook(), now: now)
        #expect(r42.pickedID == "p1")
        selector.setDisabled(accountID: "p1", disabled: true)
        let r43 = selector.pick(request(), cooldowns: CooldownBook(), now: now)
        #expect(r43.pickedID == "f1")
        selector.setDisabled(accountID: "p1", disabled: false)
        let r44 = selector.pick(request(), cooldowns: CooldownBook(), now: now)
        #expect(r44.pickedID == "p1")
    }

    @Test func cachedScanExpiresWithTheEarliestCooldown() {
        var selector = AccountSelector(accounts: [makePoolAccount("p1"), makePoolAccount("f1", tier: .fallback)])
        selector.scanCacheLifetime = 3600
        var book = CooldownBook()
        book.recordRateLimited(account: "p1", group: "m", until: now.addingTimeInterval(30), now: now)
        let r45 = selector.pick(request(), cooldowns: book, now: now)
        #expect(r45.pickedID == "f1")
        let r46 = selector.pick(request(), cooldowns: book, now: now.addingTimeInterval(29.9))
        #expect(r46.pickedID == "f1")
        let r47 = selector.pick(request(), cooldowns: book, now: now.addingTimeInterval(30))
        #expect(r47.pickedID == "p1")
    }

    @Test func wholesaleBookReplacementIsSeenAtOnce() {
        var selector = AccountSelector(accounts: [makePoolAccount("p1"), makePoolAccount("f1", tier: .fallback)])
        var book = CooldownBook()
        book.recordQuotaExhausted(account: "p1", group: "m", resetAt: now.addingTimeInterval(3600), now: now)
        let first = selector.pick(request(), cooldowns: book, now: now)
        #expect(first.pickedID == "f1")
        // A new book (e.g. restored from cooldowns.json) has its own revision.
        let fresh = CooldownBook()
        #expect(fresh.revision != book.revision)
        let second = selector.pick(request(), cooldowns: fresh, now: now)
        #expect(second.pickedID == "p1")
        let restored = try! CooldownBook.restored(from: book.encoded(now: now), now: now)
        let third = selector.pick(request(), cooldowns: restored, now: now)
        #expect(third.pickedID == "f1")
        let fourth = selector.pick(request(), cooldowns: fresh, now: now)
        #expect(fourth.pickedID == "p1")
    }

    @Test func cooldownMarksExpireOneByOne() {
        // Many accounts with staggered cooldowns: each comes back exactly when its own ends.
        var selector = AccountSelector(accounts: (0..<100).map { makePoolAccount("a\($0)") })
        var book = CooldownBook()
        for index in 0..<100 {
            book.recordRateLimited(account: "a\(index)", group: "m", until: now.addingTimeInterval(Double(100 - index)), now: now)
        }
        let fill = request(strategy: .fillFirst)
        let none = selector.pick(fill, cooldowns: book, now: now)
        #expect(none.unavailability?.primary.rateLimited == 100)
        #expect(none.unavailability?.earliestRecovery == now.addingTimeInterval(1))
        for index in stride(from: 99, through: 90, by: -1) {
            let selection = selector.pick(fill, cooldowns: book, now: now.addingTimeInterval(Double(100 - index)))
            #expect(selection.pickedID == "a\(index)")
            book.recordRateLimited(account: "a\(index)", group: "m", until: now.addingTimeInterval(1000), now: now)
        }
        let report = selector.pick(fill, cooldowns: book, now: now.addingTimeInterval(10.5))
        #expect(report.unavailability?.primary.rateLimited == 100)
        #expect(report.unavailability?.earliestRecovery == now.addingTimeInterval(11))
    }

    @Test func fillFirstWithCachedMarksStaysCorrect() {
        var selector = AccountSelector(accounts: (0..<10).map { makePoolAccount("a\($0)") })
        selector.scanCacheLifetime = 3600
        var book = CooldownBook()
        let fill = request(strategy: .fillFirst)
        for index in 0..<5 {
            book.recordQuotaExhausted(account: "a\(index)", group: "m", resetAt: now.addingTimeInterval(1000), now: now)
        }
        let r53 = selector.pick(fill, cooldowns: book, now: now)
        #expect(r53.pickedID == "a5")
        let r54 = selector.pick(fill, cooldowns: book, now: now)
        #expect(r54.pickedID == "a5")
        book.recordQuotaExhausted(account: "a5", group: "m", resetAt: now.addingTimeInterval(1000), now: now)
        let r55 = selector.pick(fill, cooldowns: book, now: now)
        #expect(r55.pickedID == "a6")
        // Round-robin shares the marks and still finds the rest.
        let picks = (0..<5).map { _ in selector.pick(request(), cooldowns: book, now: now).pickedID! }
        #expect(picks == ["a6", "a7", "a8", "a9", "a6"])
        book.clear(account: "a2", group: "m")
        let r56 = selector.pick(fill, cooldowns: book, now: now)
        #expect(r56.pickedID == "a2")
        // Exclusions are never cached as marks.
        let tried = request(strategy: .fillFirst, excluding: ["a2"])
        let r57 = selector.pick(tried, cooldowns: book, now: now)
        #expect(r57.pickedID == "a6")
        let r58 = selector.pick(fill, cooldowns: book, now: now)
        #expect(r58.pickedID == "a2")
    }

    // MARK: Pool maintenance

    @Test func modelsServedIsTheUnionOfUsableAccounts() {
        var selector = AccountSelector(accounts: [
            makePoolAccount("a", models: ["gpt-4o", "gpt-4o-mini"]),
            makePoolAccount("b", models: ["gpt-4o", "o3"]),
            makePoolAccount("c"),
            makePoolAccount("d", provider: .anthropic, models: ["claude-sonnet-4-5"]),
            makePoolAccount("e", models: ["secret"], disabled: true),
        ])
        #expect(selector.modelsServed(provider: .openai) == ["gpt-4o", "gpt-4o-mini", "o3"])
        #expect(selector.modelsServed(provider: .anthropic) == ["claude-sonnet-4-5"])
        selector.setDisabled(accountID: "b", disabled: true)
        #expect(selector.modelsServed(provider: .openai) == ["gpt-4o", "gpt-4o-mini"])
        selector.setDisabled(accountID: "e", disabled: false)
        #expect(selector.modelsServed(provider: .openai) == ["gpt-4o", "gpt-4o-mini", "secret"])
    }

    @Test func updateReplacesAnAccount() {
        var selector = AccountSelector(accounts: [makePoolAccount("a"), makePoolAccount("b", models: ["x"])])
        var a = makePoolAccount("a", quota: [ModelQuota(name: "m", percentage: 5)], protected: ["m"])
        a.label = "renamed"
        let r59 = selector.update(a)
        #expect(r59)
        #expect(selector.pool[id: "a"]?.label == "renamed")
        let r60 = selector.pick(request(strategy: .fillFirst), cooldowns: CooldownBook(), now: now)
        #expect(r60.unavailability?.primary.protected == 1)
        // A shape change (models) rebuilds.
        let r61 = selector.update(makePoolAccount("b"))
        #expect(r61)
        let r62 = selector.pick(request(strategy: .fillFirst), cooldowns: CooldownBook(), now: now)
        #expect(r62.pickedID == "b")
        let r63 = selector.update(makePoolAccount("zzz"))
        #expect(!r63)
        let r64 = selector.updateQuota(accountID: "zzz", quota: AccountQuota())
        #expect(!r64)
        let r65 = selector.setProtected(accountID: "zzz", groups: [])
        #expect(!r65)
        let r66 = selector.setDisabled(accountID: "zzz", disabled: true)
        #expect(!r66)
    }

    @Test func replaceAccountsKeepsTheRotation() {
        var selector = AccountSelector(accounts: [makePoolAccount("a"), makePoolAccount("b"), makePoolAccount("c")])
        let r67 = selector.pick(request(), cooldowns: CooldownBook(), now: now)
        #expect(r67.pickedID == "a")
        let r68 = selector.pick(request(), cooldowns: CooldownBook(), now: now)
        #expect(r68.pickedID == "b")
        selector.replaceAccounts([makePoolAccount("new"), makePoolAccount("a"), makePoolAccount("b"), makePoolAccount("c")])
        let r69 = selector.pick(request(), cooldowns: CooldownBook(), now: now)
        #expect(r69.pickedID == "c")
        let r70 = selector.pick(request(), cooldowns: CooldownBook(), now: now)
        #expect(r70.pickedID == "new")
    }

    @Test func duplicateIDsKeepTheFirst() {
        let pool = AccountPool(accounts: [makePoolAccount("a", models: ["x"]), makePoolAccount("a"), makePoolAccount("b")])
        #expect(pool.count == 2)
        #expect(pool.account(at: 0).models == ["x"])
        #expect(pool.index(of: "b") == 1)
    }

    @Test func groupMapFromConfiguration() {
        let map = AccountPool.groupMap(from: QuotaProxyConfiguration.defaultModelGroups)
        #expect(map["claude-opus-4-5-thinking"] == "claude-sonnet-4-5")
        #expect(map["claude-sonnet-4-5"] == "claude-sonnet-4-5")
        #expect(map["gemini-3-pro-low"] == "gemini-3-pro-high")
        let pool = AccountPool(accounts: [], modelGroups: map)
        #expect(pool.group(ofModel: "gemini-3-pro-low") == "gemini-3-pro-high")
        #expect(pool.group(ofModel: "unknown") == "unknown")
    }
}

/// Selection across providers (issue 16): every account that serves the model is a candidate,
/// tiers keep their order, and within a tier the client's own protocol comes first.
@Suite("Selection across providers")
struct CrossProviderSelectionTests {
    static func account(_ id: String, _ provider: Provider, _ tier: Tier = .primary) -> Account {
        Account(id: id, provider: provider, baseURL: "https://x.example", tier: tier, credentials: .apiKey("k"), models: ["m"])
    }

    @Test func ownProtocolFirstWithinATierAndTiersKeepTheirOrder() {
        var selector = AccountSelector(accounts: [
            Self.account("anthropic-1", .anthropic), Self.account("openai-1", .openai),
            Self.account("openai-fallback", .openai, .fallback), Self.account("gemini-1", .gemini),
        ])
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        func pick(_ providers: [Provider], excluding: Set<String> = []) -> String? {
            selector.pick(SelectionRequest(providers: providers, model: "m", excluding: excluding), cooldowns: CooldownBook(), now: now)
                .selected?.id
        }
        #expect(pick([.openai, .anthropic, .gemini]) == "openai-1")
        #expect(pick([.anthropic, .openai, .gemini]) == "anthropic-1")
        #expect(pick([.anthropic, .openai, .gemini], excluding: ["anthropic-1"]) == "openai-1")
        // Every primary account of every provider before the fallback tier.
        #expect(pick([.openai, .anthropic, .gemini], excluding: ["openai-1", "anthropic-1"]) == "gemini-1")
        #expect(pick([.openai, .anthropic, .gemini], excluding: ["openai-1", "anthropic-1", "gemini-1"]) == "openai-fallback")
        // Only the listed providers.
        #expect(pick([.gemini], excluding: ["gemini-1"]) == nil)
    }

    @Test func theReportCountsEveryProvider() {
        var selector = AccountSelector(accounts: [Self.account("a", .anthropic), Self.account("o", .openai)])
        let report = selector.pick(
            SelectionRequest(providers: [.openai, .anthropic], model: "m", excluding: ["a", "o"]), cooldowns: CooldownBook(),
            now: Date()
        ).unavailability
        #expect(report?.primary.total == 2)
        #expect(report?.primary.alreadyTried == 2)
        #expect(report?.servesNothing == false)
        let unknown = selector.pick(SelectionRequest(providers: [.openai, .anthropic], model: "zzz"), cooldowns: CooldownBook(), now: Date())
        #expect(unknown.unavailability?.servesNothing == true)
        #expect(unknown.unavailability?.message == "No account serves zzz")
    }
}
