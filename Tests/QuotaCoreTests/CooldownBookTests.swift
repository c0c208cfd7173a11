import Foundation
import Testing

@testable import QuotaCore

@Suite struct CooldownBookTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func at(_ seconds: TimeInterval) -> Date { t0.addingTimeInterval(seconds) }

    @Test func emptyBookBlocksNothing() {
        let book = CooldownBook()
        #expect(book.isEmpty)
        #expect(book.blockedUntil(account: "a", group: "g", now: t0) == nil)
        #expect(book.isAvailable(account: "a", group: "g", now: t0))
        #expect(book.activeEntries(now: t0).isEmpty)
    }

    @Test func exhaustionUntilResetIsPerGroup() {
        var book = CooldownBook()
        let reset = at(3600)
        let r1 = book.recordQuotaExhausted(account: "a", group: "g", resetAt: reset, now: t0)
        #expect(r1 == reset)
        #expect(book.blockedUntil(account: "a", group: "g", now: t0) == reset)
        #expect(book.isAvailable(account: "a", group: "other", now: t0))
        #expect(book.isAvailable(account: "b", group: "g", now: t0))
        #expect(!book.isAvailable(account: "a", group: "g", now: at(3599)))
        #expect(book.isAvailable(account: "a", group: "g", now: reset))
    }

    @Test func exhaustionWithoutResetBacksOffAndDoubles() {
        var book = CooldownBook()
        let r2 = book.recordQuotaExhausted(account: "a", group: "g", resetAt: nil, now: t0)
        #expect(r2 == at(1))
        let r3 = book.recordQuotaExhausted(account: "a", group: "g", resetAt: nil, now: at(1))
        #expect(r3 == at(3))
        let r4 = book.recordQuotaExhausted(account: "a", group: "g", resetAt: nil, now: at(3))
        #expect(r4 == at(7))
        #expect(book.consecutiveExhaustions(account: "a", group: "g") == 3)
        // A reset in the past is no reset.
        let r5 = book.recordQuotaExhausted(account: "a", group: "g", resetAt: at(0), now: at(7))
        #expect(r5 == at(15))
    }

    @Test func backoffSurvivesPruneWhileTheStreakIsFresh() {
        var book = CooldownBook()
        book.recordQuotaExhausted(account: "a", group: "g", resetAt: nil, now: t0)  // until +1
        book.prune(now: at(10))
        #expect(book.activeEntries(now: at(10)).isEmpty)
        let r6 = book.recordQuotaExhausted(account: "a", group: "g", resetAt: nil, now: at(10))
        #expect(r6 == at(12))
    }

    @Test func staleStreakStartsOver() {
        var book = CooldownBook()
        book.recordQuotaExhausted(account: "a", group: "g", resetAt: nil, now: t0)
        book.recordQuotaExhausted(account: "a", group: "g", resetAt: nil, now: at(1))
        // Free for longer than the 30-minute cap: forget the streak.
        let r7 = book.recordQuotaExhausted(account: "a", group: "g", resetAt: nil, now: at(3 + 1800))
        #expect(r7 == at(3 + 1800 + 1))
        #expect(book.consecutiveExhaustions(account: "a", group: "g") == 1)
    }

    @Test func successResetsTheBackoffButKeepsActiveBlocks() {
        var book = CooldownBook()
        book.recordQuotaExhausted(account: "a", group: "g", resetAt: nil, now: t0)
        book.recordQuotaExhausted(account: "a", group: "g", resetAt: nil, now: at(1))
        book.recordSuccess(account: "a", group: "g", now: at(2))
        #expect(book.consecutiveExhaustions(account: "a", group: "g") == 0)
        #expect(!book.isAvailable(account: "a", group: "g", now: at(2)))
        let r8 = book.recordQuotaExhausted(account: "a", group: "g", resetAt: nil, now: at(10))
        #expect(r8 == at(11))
    }

    @Test func rateLimitDefaultsToSixtySeconds() {
        var book = CooldownBook()
        let r9 = book.recordRateLimited(account: "a", group: "g", until: nil, now: t0)
        #expect(r9 == at(60))
        let r10 = book.recordRateLimited(account: "b", group: "g", until: at(5), now: t0)
        #expect(r10 == at(5))
        let r11 = book.recordRateLimited(account: "c", group: "g", until: at(-5), now: t0)
        #expect(r11 == at(1))
        #expect(book.block(account: "a", group: "g", now: t0)?.reason == .rateLimited)
        #expect(book.isAvailable(account: "a", group: "g", now: at(60)))
    }

    @Test func blockedUntilIsTheLatestApplicableBlock() {
        var book = CooldownBook()
        book.recordRateLimited(account: "a", group: "g", until: at(30), now: t0)
        book.recordQuotaExhausted(account: "a", group: "g", resetAt: at(100), now: t0)
        book.recordAuthFailure(account: "a", now: t0)  // +300
        #expect(book.blockedUntil(account: "a", group: "g", now: t0) == at(300))
        #expect(book.block(account: "a", group: "g", now: t0)?.reason == .authFailed)
        book.clearAuthFailure(account: "a")
        #expect(book.blockedUntil(account: "a", group: "g", now: t0) == at(100))
        #expect(book.block(account: "a", group: "g", now: t0)?.reason == .quotaExhausted)
        #expect(book.blockedUntil(account: "a", group: "g", now: at(100)) == nil)
    }

    @Test func circuitOpensAtExactlyTheThirdFailureWithinSixtySeconds() {
        var book = CooldownBook()
        let r12 = book.recordServiceFailure(account: "a", now: t0)
        #expect(!r12)
        #expect(book.isAvailable(account: "a", group: "g", now: t0))
        let r13 = book.recordServiceFailure(account: "a", now: at(30))
        #expect(!r13)
        #expect(book.isAvailable(account: "a", group: "g", now: at(30)))
        let r14 = book.recordServiceFailure(account: "a", now: at(60))
        #expect(r14)
        #expect(book.blockedUntil(account: "a", group: "any-group", now: at(60)) == at(120))
        #expect(book.block(account: "a", group: "g", now: at(60)) == CooldownEntry(account: "a", group: nil, reason: .circuitOpen, until: at(120)))
        #expect(book.isAvailable(account: "b", group: "g", now: at(60)))
    }

    @Test func failuresSpreadOverMoreThanSixtySecondsDoNotOpen() {
        var book = CooldownBook()
        book.recordServiceFailure(account: "a", now: t0)
        book.recordServiceFailure(account: "a", now: at(30))
        let r15 = book.recordServiceFailure(account: "a", now: at(60.5))
        #expect(!r15)
        #expect(book.isAvailable(account: "a", group: "g", now: at(60.5)))
        // The failures at 30 and 60.5 still count: one more within 60 s of 30 opens it.
        let r16 = book.recordServiceFailure(account: "a", now: at(90))
        #expect(r16)
    }

    @Test func circuitClosesAfterSixtySeconds() {
        var book = CooldownBook()
        for second in [0.0, 1, 2] { book.recordServiceFailure(account: "a", now: at(second)) }
        #expect(!book.isAvailable(account: "a", group: "g", now: at(61.9)))
        #expect(book.isAvailable(account: "a", group: "g", now: at(62)))
        // Failures while open are ignored; after closing, counting starts over.
        let r17 = book.recordServiceFailure(account: "a", now: at(30))
        #expect(!r17)
        let r18 = book.recordServiceFailure(account: "a", now: at(62))
        #expect(!r18)
        let r19 = book.recordServiceFailure(account: "a", now: at(63))
        #expect(!r19)
        #expect(book.isAvailable(account: "a", group: "g", now: at(63)))
    }

    @Test func successResetsTheFailureCounter() {
        var book = CooldownBook()
        book.recordServiceFailure(account: "a", now: t0)
        book.recordServiceFailure(account: "a", now: at(1))
        book.recordSuccess(account: "a", group: "g", now: at(2))
        let r20 = book.recordServiceFailure(account: "a", now: at(3))
        #expect(!r20)
        #expect(book.isAvailable(account: "a", group: "g", now: at(3)))
    }

    @Test func authFailureBlocksUntilClearedOrTimeout() {
        var book = CooldownBook(settings: .init(authFailureDuration: 120))
        let r21 = book.recordAuthFailure(account: "a", now: t0)
        #expect(r21 == 1)
        #expect(!book.isAvailable(account: "a", group: "g", now: at(119)))
        #expect(book.isAvailable(account: "a", group: "g", now: at(120)))
        let r22 = book.recordAuthFailure(account: "a", now: at(200))
        #expect(r22 == 2)
        let revision = book.revision
        book.clearAuthFailure(account: "a")
        #expect(book.revision == revision + 1)
        #expect(book.isAvailable(account: "a", group: "g", now: at(200)))
        #expect(book.authFailureCount(account: "a") == 2)
        book.recordSuccess(account: "a", group: "g", now: at(201))
        #expect(book.authFailureCount(account: "a") == 0)
        #expect(book.isEmpty)
    }

    @Test func defaultAuthFailureDurationIsFiveMinutes() {
        var book = CooldownBook()
        book.recordAuthFailure(account: "a", now: t0)
        #expect(book.blockedUntil(account: "a", group: "g", now: t0) == at(300))
    }

    @Test func clearOneGroupOrTheWholeAccount() {
        var book = CooldownBook()
        book.recordQuotaExhausted(account: "a", group: "g1", resetAt: at(100), now: t0)
        book.recordRateLimited(account: "a", group: "g2", until: at(100), now: t0)
        for second in [0.0, 1, 2] { book.recordServiceFailure(account: "a", now: at(second)) }
        book.clear(account: "a", group: "g1")
        #expect(book.blockedUntil(account: "a", group: "g1", now: at(3)) == at(62))  // circuit remains
        #expect(book.consecutiveExhaustions(account: "a", group: "g1") == 0)
        book.clear(account: "a", group: nil)
        #expect(book.isAvailable(account: "a", group: "g2", now: at(3)))
        #expect(book.isEmpty)
    }

    @Test func revisionMovesOnlyWhenABlockIsLiftedEarly() {
        var book = CooldownBook()
        let start = book.revision
        book.recordRateLimited(account: "a", group: "g", until: nil, now: t0)
        book.recordServiceFailure(account: "a", now: t0)
        book.prune(now: at(100))
        #expect(book.revision == start)
        book.clear(account: "nobody", group: nil)
        #expect(book.revision == start)
        book.recordRateLimited(account: "a", group: "g", until: nil, now: t0)
        book.clear(account: "a", group: "g")
        #expect(book.revision == start + 1)
    }

    @Test func booksCompareByContentNotRevision() {
        var lhs = CooldownBook()
        var rhs = CooldownBook()
        #expect(lhs.revision != rhs.revision)
        #expect(lhs == rhs)
        lhs.recordRateLimited(account: "a", group: "g", until: nil, now: t0)
        #expect(lhs != rhs)
        rhs.recordRateLimited(account: "a", group: "g", until: nil, now: t0)
        #expect(lhs == rhs)
    }

    @Test func pruneDropsExpiredState() {
        var book = CooldownBook()
        book.recordRateLimited(account: "a", group: "g", until: at(10), now: t0)
        book.recordQuotaExhausted(account: "b", group: "g", resetAt: at(100), now: t0)
        book.recordServiceFailure(account: "c", now: t0)
        book.prune(now: at(61))
        #expect(book.activeEntries(now: at(61)).map(\.account) == ["b"])
        book.prune(now: at(100 + 1800))
        #expect(book.isEmpty)
    }

    @Test func activeEntriesForDisplay() {
        var book = CooldownBook()
        book.recordQuotaExhausted(account: "b", group: "g", resetAt: at(100), now: t0)
        book.recordRateLimited(account: "a", group: "g2", until: at(50), now: t0)
        book.recordAuthFailure(account: "a", now: t0)
        book.recordRateLimited(account: "c", group: "g", until: at(5), now: t0)
        #expect(
            book.activeEntries(now: at(10)) == [
                CooldownEntry(account: "a", group: nil, reason: .authFailed, until: at(300)),
                CooldownEntry(account: "a", group: "g2", reason: .rateLimited, until: at(50)),
                CooldownEntry(account: "b", group: "g", reason: .quotaExhausted, until: at(100), consecutiveExhaustions: 1),
            ])
    }

    @Test func codableRoundTripDropsExpiredEntries() throws {
        var book = CooldownBook()
        book.recordQuotaExhausted(account: "a", group: "claude-sonnet-4-5", resetAt: nil, now: t0)  // +1
        book.recordQuotaExhausted(account: "a", group: "claude-sonnet-4-5", resetAt: nil, now: at(1))  // +2 → 3
        book.recordQuotaExhausted(account: "a", group: "claude-sonnet-4-5", resetAt: at(1000.2), now: at(2))
        book.recordRateLimited(account: "b", group: "gpt-4o", until: at(5), now: t0)
        book.recordAuthFailure(account: "c", now: t0)
        for second in [0.0, 1, 2] { book.recordServiceFailure(account: "d", now: at(second)) }

        let data = try book.encoded(now: at(10))
        let json = try #require(String(data: data, encoding: .utf8))
        #expect(!json.contains("\"b\""))  // expired rate limit not written
        #expect(json.contains("\"consecutive_exhaustions\" : 3"))
        #expect(json.contains("\"until\" : 1800001001"))  // unix seconds, rounded up
        #expect(json.contains("\"reason\" : \"circuit_open\""))

        let restored = try CooldownBook.restored(from: data, now: at(100))
        #expect(restored.activeEntries(now: at(100)).map(\.reason) == [.quotaExhausted, .authFailed])
        #expect(restored.blockedUntil(account: "a", group: "claude-sonnet-4-5", now: at(100)) == at(1001))
        #expect(restored.consecutiveExhaustions(account: "a", group: "claude-sonnet-4-5") == 3)
        #expect(restored.blockedUntil(account: "c", group: "x", now: at(100)) == at(300))
        #expect(restored.isAvailable(account: "d", group: "x", now: at(100)))  // circuit expired on load

        // Plain Codable keeps expired entries until prune.
        var decoded = try JSONDecoder().decode(CooldownBook.self, from: JSONEncoder().encode(book))
        #expect(decoded.activeEntries(now: t0).count == 4)
        decoded.prune(now: at(400))
        #expect(decoded.activeEntries(now: at(400)).map(\.account) == ["a"])
    }

    @Test func decodingRejectsInconsistentEntries() {
        let bad = #"{"entries":[{"account":"a","reason":"rate_limited","until":5}]}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(CooldownBook.self, from: Data(bad.utf8)) }
        let bad2 = #"{"entries":[{"account":"a","group":"g","reason":"circuit_open","until":5}]}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(CooldownBook.self, from: Data(bad2.utf8)) }
        let unknown = #"{"entries":[{"account":"a","group":"g","reason":"sleepy","until":5}]}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(CooldownBook.self, from: Data(unknown.utf8)) }
    }
}
