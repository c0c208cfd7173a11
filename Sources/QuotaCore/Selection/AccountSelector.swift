import Foundation

/// Picks the upstream account for each request (SPEC 2.1–2.3): provider and model filter, primary
/// tier before fallback, Quota Protection, cooldowns, and the routing strategy.
///
/// ## State
/// A value type meant to live behind one lock or inside one actor. `pick` is `mutating` because
/// the selector carries its own routing state next to the ``AccountPool`` it owns:
/// - **Round-robin cursors**, one per (provider, tier, protection group): the pool index of the
///   account picked last. The next pick takes the first usable account with a higher index in the
///   model's candidate list, wrapping around, so every usable account gets its turn.
/// - **Scan cache**, one per (provider, tier, model, group, protection on/off): a bitmap of the
///   candidates found unusable for a reason other than "already tried", with their counts for the
///   unavailability report. Later picks skip marked candidates 64 at a time instead of asking the
///   `CooldownBook` about each, and a tier whose candidates are all marked is skipped at once. This
///   keeps picks cheap when most primary accounts are exhausted and requests go to the few left
///   or to the fallback tier. A mark is dropped exactly when its account may have become usable:
///   its cooldown ended (kept in a min-heap per scan), or — dropping all marks — the pool lane
///   changed (disabled, forbidden, protection lifted) or the book lifted a block early or was
///   replaced (``CooldownBook/revision``). ``scanCacheLifetime`` (10 s) only bounds how stale the
///   reasons and recovery times in a report can get; blocks added to the book only make accounts
///   less usable, so they never make a mark wrong.
///
/// Pool changes go through the selector (``updateQuota(accountID:quota:)``,
/// ``setProtected(accountID:groups:)``, ``setDisabled(accountID:disabled:reason:)``,
/// ``update(_:)``, ``replaceAccounts(_:modelGroups:)``) so the cache always knows about them.
///
/// ## Cost of a pick
/// A few dictionary lookups (model, group, scan, cursor), then a walk over the precomputed
/// candidate lists from the cursor (round-robin), from the start (fill-first) or from the top of
/// the group's percentage ordering (most-remaining). Each unmarked candidate costs array reads and
/// one `CooldownBook` lookup (none when the book is empty); marked ones a bit test. Nothing is
/// sorted; the only allocation proportional to the pool is a scan's bitmap (one bit per account),
/// made once per scan key and reused.
public struct AccountSelector: Sendable {
    struct CursorKey: Hashable, Sendable {
        var lane: UInt8
        /// ``Context/groupKey``.
        var group: Int32
    }

    struct ScanKey: Hashable, Sendable {
        var lane: UInt8
        var protection: Bool
        var bucket: Int32
        /// ``Context/groupKey``.
        var group: Int32
    }

    /// Counts of unusable candidates and the earliest recovery among them.
    struct Tally: Sendable {
        var counts = Unavailability.TierCounts()
        var earliest: Date?

        static func earlier(_ lhs: Date?, _ rhs: Date?) -> Date? {
            guard let lhs else { return rhs }
            guard let rhs else { return lhs }
            return min(lhs, rhs)
        }
    }

    /// What picks learned about one tier for one (model, group, protection) combination: which
    /// candidates are known unusable for a reason other than "already tried".
    ///
    /// Marks for cooldowns leave one by one when their cooldown ends (a min-heap of end times);
    /// all marks go when the lane changes, the book lifts a block early (``CooldownBook/revision``)
    /// or ``AccountSelector/scanCacheLifetime`` passes.
    struct TierScan: Sendable {
        struct Expiry: Sendable {
            var until: Date
            var index: Int32
            var reason: CooldownReason
        }

        var laneGeneration: UInt64
        var bookRevision: UInt64
        var createdAt: Date
        /// One bit per pool index; allocated on the first mark.
        var marks: [UInt64] = []
        var markedCount = 0
        var counts = Unavailability.TierCounts()
        /// Earliest recovery among accounts marked as protected.
        var protectedEarliest: Date?
        /// Min-heap by `until` of the accounts marked as cooling down.
        var expiries: [Expiry] = []

        init(laneGeneration: UInt64, bookRevision: UInt64, createdAt: Date) {
            self.laneGeneration = laneGeneration
            self.bookRevision = bookRevision
            self.createdAt = createdAt
        }

        /// Counts and earliest recovery of the marked candidates.
        var tally: Tally {
            Tally(counts: counts, earliest: Tally.earlier(protectedEarliest, expiries.first?.until))
        }

        @inline(__always)
        func isMarked(_ index: Int32) -> Bool {
            let word = Int(index &>> 6)
            return word < marks.count && marks[word] & (1 &<< UInt64(index & 63)) != 0
        }

        mutating func mark(_ index: Int32, _ verdict: Verdict, poolCount: Int) {
            if marks.isEmpty { marks = Array(repeating: 0, count: (poolCount + 63) / 64) }
            marks[Int(index &>> 6)] |= 1 &<< UInt64(index & 63)
            markedCount += 1
            switch verdict {
            case .available, .excluded:
                assertionFailure("only unusable candidates are marked")
            case .disabled:
                counts.disabled += 1
            case .forbidden:
                counts.forbidden += 1
            case .protected(let recovery):
                counts.protected += 1
                protectedEarliest = Tally.earlier(protectedEarliest, recovery)
            case .cooling(let reason, let until):
                Self.adjust(&counts, reason, by: 1)
                push(Expiry(until: until, index: index, reason: reason))
            }
        }

        /// Unmarks the accounts whose cooldown ended by `now`: they are looked at again.
        mutating func expire(now: Date) {
            while let first = expiries.first, first.until <= now {
                popFirst()
                marks[Int(first.index &>> 6)] &= ~(1 &<< UInt64(first.index & 63))
                markedCount -= 1
                Self.adjust(&counts, first.reason, by: -1)
            }
        }

        /// Forgets every mark, keeping the bitmap's allocation.
        mutating func reset(laneGeneration: UInt64, bookRevision: UInt64, now: Date) {
            self.laneGeneration = laneGeneration
            self.bookRevision = bookRevision
            createdAt = now
            for word in marks.indices { marks[word] = 0 }
            markedCount = 0
            counts = Unavailability.TierCounts()
            protectedEarliest = nil
            expiries.removeAll(keepingCapacity: true)
        }

        private static func adjust(_ counts: inout Unavailability.TierCounts, _ reason: CooldownReason, by delta: Int) {
            switch reason {
            case .quotaExhausted: counts.quotaExhausted += delta
            // Pacing is a rate limit seen before the 429: counted with them.
            case .rateLimited, .paced: counts.rateLimited += delta
            case .circuitOpen: counts.circuitOpen += delta
            case .authFailed: counts.authFailed += delta
            }
        }

        private mutating func push(_ expiry: Expiry) {
            expiries.append(expiry)
            var child = expiries.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard expiries[child].until < expiries[parent].until else { break }
                expiries.swapAt(child, parent)
                child = parent
            }
        }

        private mutating func popFirst() {
            let last = expiries.removeLast()
            guard !expiries.isEmpty else { return }
            expiries[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                guard left < expiries.count else { break }
                let right = left + 1
                let child = right < expiries.count && expiries[right].until < expiries[left].until ? right : left
                guard expiries[child].until < expiries[parent].until else { break }
                expiries.swapAt(child, parent)
                parent = child
            }
        }
    }

    enum Verdict: Sendable {
        case available
        case excluded
        case disabled
        case forbidden
        case protected(recovery: Date?)
        case cooling(CooldownReason, until: Date)
    }

    /// Per-pick constants.
    struct Context {
        var bucket: Int32
        var groupID: Int32?
        /// The pool's group id, or for groups the pool does not know a negative id from
        /// ``AccountSelector/unknownGroups``: integer keys for cursors and scans.
        var groupKey: Int32
        var group: String
        var protectionEnabled: Bool
        var excluded: [Int32]
    }

    /// The index the selector picks from.
    public private(set) var pool: AccountPool
    /// How long what a scan learned is kept at most (seconds). Correctness never depends on it
    /// (cooldown ends, lifted blocks and pool changes are tracked exactly); it bounds how stale the
    /// reason counts and recovery times of an unavailability report can get.
    public var scanCacheLifetime: TimeInterval = 10

    /// Bound on cursors and cached scans (request model names are client-controlled).
    static let cacheLimit = 4096

    /// Round-robin cursors of groups the pool knows, at `groupID * laneCount + lane` (-1: none);
    /// `cursors` holds the others. Arrays instead of hashing on every pick.
    var knownCursors: [Int32] = []
    var cursors: [CursorKey: Int32] = [:]
    /// Negative keys for protection groups the pool has never seen (client-chosen model names).
    var unknownGroups: [String: Int32] = [:]
    /// Scans live in an array (mutated in place during walks), found through `scanSlots`.
    var scanSlots: [ScanKey: Int] = [:]
    var scanStore: [TierScan] = []
    /// Fast paths into `scanStore` (-1: none): for a listed model with the pool's group for it, at
    /// `(bucket * laneCount + lane) * 2 + protection`; for a model nobody lists, by group at
    /// `(groupID * laneCount + lane) * 2 + protection`.
    var bucketScanSlots: [Int32] = []
    var groupScanSlots: [Int32] = []

    public init(pool: AccountPool) {
        self.pool = pool
    }

    /// Builds the pool (see ``AccountPool/init(accounts:modelGroups:)``).
    public init(accounts: [Account], modelGroups: [String: String] = [:]) {
        self.init(pool: AccountPool(accounts: accounts, modelGroups: modelGroups))
    }

    // MARK: Picking

    /// Chooses the account for a request, or reports why none can take it.
    ///
    /// Candidates: of one of the request's providers (in their order within a tier), serves the model (`models` nil = any), not disabled, not
    /// forbidden, not protected for the group (when protection is enabled), not blocked in
    /// `cooldowns` for (account, group), not in `request.excluding`. Primary accounts first; the
    /// fallback tier only when no primary account is a candidate, and never with
    /// `disableFallback`.
    public mutating func pick(_ request: SelectionRequest, cooldowns: CooldownBook, now: Date) -> Selection {
        let group = request.group ?? pool.group(ofModel: request.model)
        let groupID = pool.groupIDs[group]
        var context = Context(
            bucket: pool.bucketIDs[request.model] ?? -1,
            groupID: groupID,
            groupKey: groupID ?? unknownGroupKey(group),
            group: group,
            protectionEnabled: request.protectionEnabled,
            excluded: [])
        if !request.excluding.isEmpty {
            context.excluded = request.excluding.compactMap { pool.indexByID[$0] }
        }

        let view = CandidateView(pool)
        var primary = Unavailability.TierCounts()
        var fallback = Unavailability.TierCounts()
        var earliest: Date?
        var fallbackSkipped = false
        for tierIndex in 0..<2 {
            let tier: Tier = tierIndex == 0 ? .primary : .fallback
            if tier == .fallback && request.disableFallback {
                for provider in request.providers {
                    fallback.total += candidateCount(lane: AccountPool.lane(provider, tier), bucket: context.bucket)
                }
                fallbackSkipped = fallback.total > 0
                break
            }
            var counts = Unavailability.TierCounts()
            // Within a tier, every candidate of a preferred provider before any of the next.
            for provider in request.providers {
                let lane = AccountPool.lane(provider, tier)
                let total = candidateCount(lane: lane, bucket: context.bucket)
                guard total > 0 else { continue }
                let (found, tally) = pickInTier(
                    lane: lane, total: total, view: view, strategy: request.strategy, context: context,
                    cooldowns: cooldowns, now: now)
                if let found {
                    return .selected(SelectedAccount(index: Int(found), id: pool.ids[Int(found)], tier: tier))
                }
                var laneCounts = tally.counts
                laneCounts.total = total
                counts.add(laneCounts)
                earliest = Tally.earlier(earliest, tally.earliest)
            }
            if tier == .primary { primary = counts } else { fallback = counts }
        }
        var considered = primary
        if !fallbackSkipped { considered.add(fallback) }
        return .unavailable(
            Unavailability(
                providers: request.providers, model: request.model, group: group,
                primary: primary, fallback: fallback, fallbackSkipped: fallbackSkipped,
                earliestRecovery: earliest,
                willNeverRecover: considered.total == considered.unusable))
    }

    // MARK: Pool updates

    /// Rebuilds the pool from a new account list (files added or removed). Round-robin positions
    /// are kept by account id; cached scans are dropped.
    public mutating func replaceAccounts(_ accounts: [Account], modelGroups: [String: String]? = nil) {
        var positions: [(lane: UInt8, group: String, account: String)] = []
        var unknownNames: [Int32: String] = [:]
        for (name, key) in unknownGroups { unknownNames[key] = name }
        for (key, index) in cursors {
            positions.append((key.lane, unknownNames[key.group] ?? "", pool.ids[Int(index)]))
        }
        for (slot, index) in knownCursors.enumerated() where index >= 0 {
            let lanes = AccountPool.laneCount
            positions.append((UInt8(slot % lanes), pool.groupNames[slot / lanes], pool.ids[Int(index)]))
        }
        pool = AccountPool(accounts: accounts, modelGroups: modelGroups ?? pool.modelGroups)
        resetRotation()
        for position in positions {
            guard let index = pool.indexByID[position.account] else { continue }
            let group = pool.groupIDs[position.group] ?? unknownGroupKey(position.group)
            setCursor(CursorKey(lane: position.lane, group: group), index)
        }
    }

    /// See ``AccountPool/updateQuota(accountID:quota:)``.
    @discardableResult
    public mutating func updateQuota(accountID: String, quota: AccountQuota) -> Bool {
        pool.updateQuota(accountID: accountID, quota: quota)
    }

    /// See ``AccountPool/updateModelQuota(accountID:_:now:)``.
    @discardableResult
    public mutating func updateModelQuota(accountID: String, _ modelQuota: ModelQuota, now: Date) -> Bool {
        pool.updateModelQuota(accountID: accountID, modelQuota, now: now)
    }

    /// See ``AccountPool/setProtected(accountID:groups:)``.
    @discardableResult
    public mutating func setProtected(accountID: String, groups: [String]) -> Bool {
        pool.setProtected(accountID: accountID, groups: groups)
    }

    /// See ``AccountPool/setDisabled(accountID:disabled:reason:)``.
    @discardableResult
    public mutating func setDisabled(accountID: String, disabled: Bool, reason: String? = nil) -> Bool {
        pool.setDisabled(accountID: accountID, disabled: disabled, reason: reason)
    }

    /// Replaces one account with a new version of its file (same id); see ``AccountPool/update(_:)``.
    @discardableResult
    public mutating func update(_ account: Account) -> Bool {
        guard let old = pool[id: account.id] else { return false }
        if old.provider != account.provider || old.tier != account.tier || old.models != account.models {
            var accounts = pool.accounts
            accounts[pool.index(of: account.id)!] = account
            replaceAccounts(accounts)
            return true
        }
        return pool.update(account)
    }

    /// See ``AccountPool/modelsServed(provider:)``.
    public func modelsServed(provider: Provider) -> [String] {
        pool.modelsServed(provider: provider)
    }

    /// Forgets cached scans, e.g. after replacing the ``CooldownBook`` wholesale (otherwise they
    /// expire within ``scanCacheLifetime``).
    public mutating func forgetCachedScans() {
        scanSlots.removeAll()
        scanStore.removeAll()
        bucketScanSlots.removeAll()
        groupScanSlots.removeAll()
    }

    /// Forgets round-robin positions and cached scans.
    public mutating func resetRotation() {
        cursors.removeAll()
        knownCursors.removeAll()
        unknownGroups.removeAll()
        forgetCachedScans()
    }

    private mutating func unknownGroupKey(_ group: String) -> Int32 {
        if let key = unknownGroups[group] { return key }
        if unknownGroups.count >= Self.cacheLimit {
            // Keys are about to be reused: drop everything keyed by them.
            resetRotation()
        }
        let key = -Int32(unknownGroups.count) - 1
        unknownGroups[group] = key
        return key
    }

    // MARK: Tier scan

    private func candidateCount(lane: Int, bucket: Int32) -> Int {
        let explicit = bucket >= 0 ? pool.bucketLists[Int(bucket)][lane].count : 0
        return explicit + pool.anyLists[lane].count
    }

    private mutating func pickInTier(
        lane: Int, total: Int, view: CandidateView, strategy: QuotaProxyConfiguration.RoutingStrategy,
        context: Context, cooldowns: CooldownBook, now: Date
    ) -> (Int32?, Tally) {
        let slot = scanSlot(
            ScanKey(lane: UInt8(lane), protection: context.protectionEnabled, bucket: context.bucket, group: context.groupKey),
            lane: lane, cooldowns: cooldowns, now: now)
        if scanStore[slot].markedCount == total {
            return (nil, scanStore[slot].tally)
        }

        let found: Int32?
        let alreadyTried: Int
        if strategy == .mostRemaining, let groupID = context.groupID {
            let any = pool.anyLists[lane]
            if context.bucket < 0 || pool.bucketGroup[Int(context.bucket)] == groupID {
                let ranked: [AccountPool.Ranked] = context.bucket >= 0 ? pool.bucketRanked[Int(context.bucket)][lane] : []
                (found, alreadyTried) = view.walkRanked(
                    explicit: ranked, anyRanked: pool.anyRanked[groupID]?[lane], any: any,
                    scan: &scanStore[slot], context: context, cooldowns: cooldowns, now: now)
            } else {
                // The caller's group differs from the pool's normalization of this model: the
                // precomputed ordering does not apply, so look at everyone.
                (found, alreadyTried) = view.walkBest(
                    explicit: pool.bucketLists[Int(context.bucket)][lane], any: any, groupID: groupID,
                    scan: &scanStore[slot], context: context, cooldowns: cooldowns, now: now)
            }
        } else {
            // Pool index order: round-robin from after the cursor, fill-first from the start.
            // Most-remaining for a group nobody has figures for is fill-first (all scores equal).
            let cursorKey = CursorKey(lane: UInt8(lane), group: context.groupKey)
            var start: Int32 = 0
            if strategy == .roundRobin, let last = cursor(cursorKey), last < .max {
                start = last + 1
            }
            (found, alreadyTried) = view.walkStable(
                explicitBits: context.bucket >= 0 ? pool.bucketBits[Int(context.bucket)][lane] : [],
                anyBits: pool.anyBits[lane], from: start,
                scan: &scanStore[slot], context: context, cooldowns: cooldowns, now: now)
            if let found, strategy == .roundRobin {
                setCursor(cursorKey, found)
            }
        }
        if let found { return (found, Tally()) }
        // A failed walk has marked every candidate that was not merely already tried.
        var tally = scanStore[slot].tally
        tally.counts.alreadyTried += alreadyTried
        return (nil, tally)
    }

    private func cursor(_ key: CursorKey) -> Int32? {
        if key.group >= 0 {
            let position = Int(key.group) * AccountPool.laneCount + Int(key.lane)
            guard position < knownCursors.count, knownCursors[position] >= 0 else { return nil }
            return knownCursors[position]
        }
        return cursors[key]
    }

    private mutating func setCursor(_ key: CursorKey, _ index: Int32) {
        if key.group >= 0 {
            let position = Int(key.group) * AccountPool.laneCount + Int(key.lane)
            if position >= knownCursors.count {
                knownCursors.append(contentsOf: repeatElement(-1, count: position + 1 - knownCursors.count))
            }
            knownCursors[position] = index
            return
        }
        if cursors.count >= Self.cacheLimit && cursors[key] == nil { cursors.removeAll() }
        cursors[key] = index
    }

    /// The slot of the scan for `key`, reset when it is no longer valid.
    private mutating func scanSlot(_ key: ScanKey, lane: Int, cooldowns: CooldownBook, now: Date) -> Int {
        let generation = pool.laneGeneration[lane]
        let protection = key.protection ? 1 : 0
        // Which fast-path array (if any) indexes this key, and where.
        var fastBucket = -1
        var fastGroup = -1
        if key.bucket >= 0 {
            if pool.bucketGroup[Int(key.bucket)] == key.group {
                fastBucket = (Int(key.bucket) * AccountPool.laneCount + lane) * 2 + protection
            }
        } else if key.group >= 0 {
            fastGroup = (Int(key.group) * AccountPool.laneCount + lane) * 2 + protection
        }
        var existing: Int?
        if fastBucket >= 0 {
            if fastBucket < bucketScanSlots.count, bucketScanSlots[fastBucket] >= 0 { existing = Int(bucketScanSlots[fastBucket]) }
        } else if fastGroup >= 0 {
            if fastGroup < groupScanSlots.count, groupScanSlots[fastGroup] >= 0 { existing = Int(groupScanSlots[fastGroup]) }
        } else {
            existing = scanSlots[key]
        }
        if let slot = existing {
            let valid = scanStore[slot].laneGeneration == generation && scanStore[slot].bookRevision == cooldowns.revision
                && now >= scanStore[slot].createdAt && now < scanStore[slot].createdAt.addingTimeInterval(scanCacheLifetime)
            if valid {
                scanStore[slot].expire(now: now)
            } else {
                scanStore[slot].reset(laneGeneration: generation, bookRevision: cooldowns.revision, now: now)
            }
            return slot
        }
        if scanStore.count >= Self.cacheLimit { forgetCachedScans() }
        let slot = scanStore.count
        scanStore.append(TierScan(laneGeneration: generation, bookRevision: cooldowns.revision, createdAt: now))
        if fastBucket >= 0 {
            if fastBucket >= bucketScanSlots.count {
                bucketScanSlots.append(contentsOf: repeatElement(-1, count: fastBucket + 1 - bucketScanSlots.count))
            }
            bucketScanSlots[fastBucket] = Int32(slot)
        } else if fastGroup >= 0 {
            if fastGroup >= groupScanSlots.count {
                groupScanSlots.append(contentsOf: repeatElement(-1, count: fastGroup + 1 - groupScanSlots.count))
            }
            groupScanSlots[fastGroup] = Int32(slot)
        } else {
            scanSlots[key] = slot
        }
        return slot
    }

}
