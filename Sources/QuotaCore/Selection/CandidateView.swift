import Foundation

/// The part of an ``AccountPool`` a pick reads for every candidate, taken once per pick.
///
/// Walks live here rather than on the pool: a call that borrows the pool from inside
/// ``AccountSelector``'s `mutating` pick makes the compiler copy the whole pool struct (two dozen
/// retained arrays) on every pick; this view costs four retains.
struct CandidateView {
    let flags: [UInt8]
    let protectedGroups: [[Int32]]
    let figures: [[AccountPool.GroupFigure]]
    let ids: [String]

    init(_ pool: AccountPool) {
        flags = pool.flags
        protectedGroups = pool.protectedGroups
        figures = pool.figures
        ids = pool.ids
    }

    var count: Int { flags.count }

    /// Words of a bitmap with one bit per account.
    var wordCount: Int { (flags.count + 63) / 64 }

    @inline(__always)
    func figure(_ index: Int, _ group: Int32) -> AccountPool.GroupFigure? {
        for figure in figures[index] where figure.group == group { return figure }
        return nil
    }

    @inline(__always)
    func score(_ index: Int, _ group: Int32) -> Double {
        figure(index, group)?.best ?? AccountPool.unknownScore
    }

    // MARK: Walks
    //
    // Each walk skips candidates already marked unusable in `scan`, marks the unusable ones it
    // meets, and returns the first available candidate in its order plus how many candidates it
    // passed because they were already tried.

    /// Walks the candidates in pool index order from `start`, wrapping around, 64 accounts at a
    /// time: the candidate bitmap (listed ∪ any-model) minus the scan's marks.
    func walkStable(
        explicitBits: [UInt64], anyBits: [UInt64], from start: Int32, scan: inout AccountSelector.TierScan,
        context: AccountSelector.Context, cooldowns: CooldownBook, now: Date
    ) -> (Int32?, Int) {
        let words = wordCount
        guard words > 0 else { return (nil, 0) }
        let first = Int(start) < count ? Int(start) : 0
        let startWord = first &>> 6
        let startBit = UInt64(first & 63)
        var alreadyTried = 0
        var word = startWord
        var mask = UInt64.max &<< startBit
        var wrapped = false
        while true {
            var bits = anyBits[word] & mask
            if !explicitBits.isEmpty { bits |= explicitBits[word] & mask }
            if !scan.marks.isEmpty { bits &= ~scan.marks[word] }
            while bits != 0 {
                let index = Int32(word &<< 6 | bits.trailingZeroBitCount)
                bits &= bits &- 1
                let verdict = verdict(index: index, context: context, cooldowns: cooldowns, now: now)
                switch verdict {
                case .available:
                    return (index, alreadyTried)
                case .excluded:
                    alreadyTried += 1
                default:
                    scan.mark(index, verdict, poolCount: count)
                }
            }
            if wrapped { return (nil, alreadyTried) }
            word += 1
            if word == words { word = 0 }
            if word == startWord {
                // Back where we began: the bits below the start remain.
                wrapped = true
                mask = startBit == 0 ? 0 : (1 &<< startBit) &- 1
                if mask == 0 { return (nil, alreadyTried) }
            } else {
                mask = .max
            }
        }
    }

    /// Walks the merge of two most-remaining orderings from the top. `anyRanked == nil` means the
    /// any-model accounts all have unknown scores (their order is `any`).
    func walkRanked(
        explicit: [AccountPool.Ranked], anyRanked: [AccountPool.Ranked]?, any: [Int32],
        scan: inout AccountSelector.TierScan, context: AccountSelector.Context, cooldowns: CooldownBook, now: Date
    ) -> (Int32?, Int) {
        var alreadyTried = 0
        let anyCount = any.count
        var i = 0
        var j = 0
        while i < explicit.count || j < anyCount {
            let candidate: AccountPool.Ranked
            if j < anyCount {
                let anyCandidate = anyRanked?[j] ?? AccountPool.Ranked(score: AccountPool.unknownScore, index: any[j])
                if i < explicit.count && AccountPool.Ranked.before(explicit[i], anyCandidate) {
                    candidate = explicit[i]
                    i += 1
                } else {
                    candidate = anyCandidate
                    j += 1
                }
            } else {
                candidate = explicit[i]
                i += 1
            }
            if scan.isMarked(candidate.index) { continue }
            let verdict = verdict(index: candidate.index, context: context, cooldowns: cooldowns, now: now)
            switch verdict {
            case .available:
                return (candidate.index, alreadyTried)
            case .excluded:
                alreadyTried += 1
            default:
                scan.mark(candidate.index, verdict, poolCount: count)
            }
        }
        return (nil, alreadyTried)
    }

    /// Looks at every candidate and keeps the usable one with the best score for `groupID`.
    func walkBest(
        explicit: [Int32], any: [Int32], groupID: Int32, scan: inout AccountSelector.TierScan,
        context: AccountSelector.Context, cooldowns: CooldownBook, now: Date
    ) -> (Int32?, Int) {
        var alreadyTried = 0
        var best: AccountPool.Ranked?
        for list in [explicit, any] {
            for index in list where !scan.isMarked(index) {
                let verdict = verdict(index: index, context: context, cooldowns: cooldowns, now: now)
                switch verdict {
                case .available:
                    let candidate = AccountPool.Ranked(score: score(Int(index), groupID), index: index)
                    if best.map({ AccountPool.Ranked.before(candidate, $0) }) ?? true { best = candidate }
                case .excluded:
                    alreadyTried += 1
                default:
                    scan.mark(index, verdict, poolCount: count)
                }
            }
        }
        return (best?.index, alreadyTried)
    }

    /// Why a candidate can or cannot take the request, first reason first: disabled, forbidden,
    /// protected, cooling down, already tried.
    @inline(__always)
    func verdict(index: Int32, context: AccountSelector.Context, cooldowns: CooldownBook, now: Date) -> AccountSelector.Verdict {
        let position = Int(index)
        let flags = flags[position]
        if flags & AccountPool.flagDisabled != 0 { return .disabled }
        if flags & AccountPool.flagForbidden != 0 { return .forbidden }
        if context.protectionEnabled, flags & AccountPool.flagProtected != 0, let groupID = context.groupID,
            protectedGroups[position].contains(groupID)
        {
            // Protection lifts when the group's quota resets (a past reset time says nothing).
            var recovery = figure(position, groupID)?.recovery
            if let reset = recovery {
                if reset <= now {
                    recovery = nil
                } else if !cooldowns.isEmpty,
                    let blocked = cooldowns.blockedUntil(account: ids[position], group: context.group, now: now)
                {
                    recovery = max(reset, blocked)
                }
            }
            return .protected(recovery: recovery)
        }
        if !cooldowns.isEmpty, let block = cooldowns.blocking(account: ids[position], group: context.group, now: now) {
            return .cooling(block.reason, until: block.until)
        }
        if !context.excluded.isEmpty && context.excluded.contains(index) {
            return .excluded
        }
        return .available
    }
}
