import Foundation

/// The routing index over the account pool: who serves which model on which protocol and tier,
/// who is disabled, forbidden or protected, and every account's quota per protection group.
///
/// Built once from `[Account]` (O(n log n); rebuild when accounts are added or removed), then kept
/// current with cheap incremental updates (``updateQuota(accountID:quota:)``,
/// ``setProtected(accountID:groups:)``, ``setDisabled(accountID:disabled:reason:)``,
/// ``update(_:)``). ``AccountSelector`` owns one and picks from it.
///
/// Layout, for picks that never sort or allocate in proportion to the pool:
/// - per *lane* (provider × tier) the sorted indices of accounts that serve any model;
/// - per explicitly listed model and lane, the sorted indices of the accounts listing it;
/// - for `most-remaining`, the same lists ordered by the account's best percentage in the group
///   (unknown counts as 100), kept ordered on quota updates by binary search + one move.
public struct AccountPool: Sendable {
    /// A (percentage, account) pair in a most-remaining ordering, packed into one integer whose
    /// natural order is the ranking: higher percentage first, then lower index (stable order).
    /// The percentage is kept as a `Float` (plenty for ranking), its bits inverted in the high word.
    struct Ranked: Sendable, Equatable {
        var key: UInt64

        init(score: Double, index: Int32) {
            let clamped = score > 0 ? Float(min(score, 100)) : 0  // also turns -0 and NaN into 0
            key = UInt64(~clamped.bitPattern) << 32 | UInt64(UInt32(bitPattern: index))
        }

        init(key: UInt64) {
            self.key = key
        }

        var index: Int32 { Int32(bitPattern: UInt32(truncatingIfNeeded: key)) }

        @inline(__always)
        static func before(_ lhs: Ranked, _ rhs: Ranked) -> Bool {
            lhs.key < rhs.key
        }
    }

    /// An account's figures for one protection group, from its `quota.models`.
    struct GroupFigure: Sendable, Equatable {
        var group: Int32
        /// Highest percentage among the group's models (the most-remaining score).
        var best: Double
        /// Lowest percentage among the group's models and its reset time (when protection lifts).
        var lowest: Double
        var recovery: Date?
    }

    static let flagDisabled: UInt8 = 1
    static let flagForbidden: UInt8 = 2
    static let flagProtected: UInt8 = 4
    static let flagServesAny: UInt8 = 8

    /// Score of an account without quota data for a group: optimistic, so unseen accounts get tried
    /// (and then report their real figures through rate-limit headers).
    static let unknownScore: Double = 100

    /// Lanes: provider × tier.
    static let laneCount = Provider.allCases.count * 2

    @inline(__always)
    static func lane(_ provider: Provider, _ tier: Tier) -> Int {
        providerOrdinal(provider) * 2 + (tier == .primary ? 0 : 1)
    }

    static func providerOrdinal(_ provider: Provider) -> Int {
        provider.ordinal
    }

    /// The accounts, in pool order (input order without duplicate ids). An account's index is its
    /// position here.
    public private(set) var accounts: [Account]
    /// Model name → protection group (models not listed are their own group).
    public let modelGroups: [String: String]

    var ids: [String]
    var indexByID: [String: Int32]
    var laneOf: [UInt8]
    var flags: [UInt8]
    var protectedGroups: [[Int32]]
    var figures: [[GroupFigure]]
    /// Per account: the buckets of its listed models (deduplicated; empty for any-model accounts).
    var accountBuckets: [[Int32]]

    var groupIDs: [String: Int32] = [:]
    var groupNames: [String] = []
    /// Memo: quota model name → group id (one hash per quota entry instead of two).
    var quotaModelGroups: [String: Int32] = [:]

    var bucketIDs: [String: Int32] = [:]
    var bucketModel: [String] = []
    var bucketGroup: [Int32] = []
    /// [bucket][lane] → sorted account indices listing the model.
    var bucketLists: [[[Int32]]] = []
    /// [bucket][lane] → the same, most-remaining order for the bucket's group.
    var bucketRanked: [[[Ranked]]] = []
    /// [bucket][provider] → accounts listing the model that are neither disabled nor forbidden.
    var bucketUsable: [[Int32]] = []

    /// [bucket][lane] → the same as a bitmap over pool indices (empty when the list is).
    var bucketBits: [[[UInt64]]] = []

    /// [lane] → sorted indices of accounts serving any model.
    var anyLists: [[Int32]]
    /// [lane] → the same as a bitmap over pool indices.
    var anyBits: [[UInt64]] = []
    /// group → [lane] → most-remaining order of the any-model accounts. Absent: nobody has figures
    /// for the group, so the order is `anyLists` (all scores unknown).
    var anyRanked: [Int32: [[Ranked]]] = [:]

    /// [lane] → bumped whenever an account of the lane may have become usable (disabled,
    /// forbidden or protection changed). Cached scans compare it.
    var laneGeneration: [UInt64]

    /// Builds the index. Accounts with a duplicate id (after the first) are ignored.
    /// - Parameters:
    ///   - accounts: the pool, in stable (file/id) order; that order is the fill-first order.
    ///   - modelGroups: model name → protection group, as normalization defines it (see
    ///     ``groupMap(from:)``); used to group `quota.models` entries and explicit model lists.
    public init(accounts: [Account], modelGroups: [String: String] = [:]) {
        self.modelGroups = modelGroups
        self.accounts = []
        self.accounts.reserveCapacity(accounts.count)
        self.ids = []
        self.ids.reserveCapacity(accounts.count)
        self.indexByID = Dictionary(minimumCapacity: accounts.count)
        self.laneOf = []
        self.flags = []
        self.protectedGroups = []
        self.figures = []
        self.accountBuckets = []
        self.anyLists = Array(repeating: [], count: Self.laneCount)
        self.laneGeneration = Array(repeating: 0, count: Self.laneCount)

        for account in accounts {
            guard indexByID[account.id] == nil else { continue }
            let index = Int32(self.accounts.count)
            indexByID[account.id] = index
            self.accounts.append(account)
            ids.append(account.id)
            let lane = Self.lane(account.provider, account.tier)
            laneOf.append(UInt8(lane))
            let protected = account.protectedModels.map { internGroup($0) }
            protectedGroups.append(protected)
            figures.append(computeFigures(account.quota))
            var flag: UInt8 = 0
            if account.disabled { flag |= Self.flagDisabled }
            if account.quota.isForbidden { flag |= Self.flagForbidden }
            if !protected.isEmpty { flag |= Self.flagProtected }
            var buckets: [Int32] = []
            if let models = account.models {
                for model in models {
                    let bucket = internBucket(model)
                    guard !buckets.contains(bucket) else { continue }
                    buckets.append(bucket)
                    bucketLists[Int(bucket)][lane].append(index)
                    if flag & (Self.flagDisabled | Self.flagForbidden) == 0 {
                        bucketUsable[Int(bucket)][Self.providerOrdinal(account.provider)] += 1
                    }
                }
            } else {
                flag |= Self.flagServesAny
                anyLists[lane].append(index)
            }
            accountBuckets.append(buckets)
            flags.append(flag)
        }

        // Bucket lists were filled in index order, so they are sorted; rank them by their group.
        for bucket in bucketLists.indices {
            let group = bucketGroup[bucket]
            bucketRanked[bucket] = bucketLists[bucket].map { rankedList($0, group: group) }
        }
        let words = wordCount
        bucketBits = bucketLists.map { lanes in lanes.map { $0.isEmpty ? [] : Self.bitmap($0, words: words) } }
        anyBits = anyLists.map { Self.bitmap($0, words: words) }
        // Any-model orderings only for groups that some any-model account has figures for.
        var groupsWithFigures = Set<Int32>()
        for lane in anyLists.indices {
            for index in anyLists[lane] {
                for figure in figures[Int(index)] { groupsWithFigures.insert(figure.group) }
            }
        }
        for group in groupsWithFigures {
            anyRanked[group] = anyLists.map { rankedList($0, group: group) }
        }
    }

    /// Turns the configuration's `model_groups` (group → member models) into the model → group map
    /// ``init(accounts:modelGroups:)`` takes (each group also maps to itself).
    public static func groupMap(from modelGroups: [String: [String]]) -> [String: String] {
        var map: [String: String] = [:]
        for (group, members) in modelGroups {
            map[group] = group
            for member in members { map[member] = group }
        }
        return map
    }

    // MARK: Lookups

    /// Number of accounts in the pool.
    public var count: Int { accounts.count }

    /// The account at a pool index (as returned in ``SelectedAccount/index``).
    public func account(at index: Int) -> Account { accounts[index] }

    /// The pool index of an account id.
    public func index(of accountID: String) -> Int? { indexByID[accountID].map(Int.init) }

    /// The account with an id.
    public subscript(id accountID: String) -> Account? {
        indexByID[accountID].map { accounts[Int($0)] }
    }

    /// The protection group of a model under ``modelGroups`` (its own name when not listed).
    public func group(ofModel model: String) -> String {
        modelGroups[model] ?? model
    }

    /// The union of the models that usable (not disabled, not forbidden) accounts of `provider`
    /// list explicitly, sorted — for `GET /v1/models`. Accounts serving any model add nothing.
    public func modelsServed(provider: Provider) -> [String] {
        let ordinal = Self.providerOrdinal(provider)
        return bucketModel.indices.filter { bucketUsable[$0][ordinal] > 0 }.map { bucketModel[$0] }.sorted()
    }

    /// Whether a usable (not disabled, not forbidden) account serves any model (no `models` list),
    /// so no model name can be called unknown.
    public var servesAnyModel: Bool {
        flags.contains { $0 & Self.flagServesAny != 0 && $0 & (Self.flagDisabled | Self.flagForbidden) == 0 }
    }

    /// The account's best known percentage for `group` (`nil` when its quota says nothing about it).
    public func percentage(accountID: String, group: String) -> Double? {
        guard let index = indexByID[accountID], let groupID = groupIDs[group] else { return nil }
        return figure(Int(index), groupID)?.best
    }

    // MARK: Incremental updates

    /// Replaces an account's quota (e.g. after live rate-limit headers or a refresh): re-ranks it in
    /// the most-remaining orderings of the groups whose best percentage changed (binary search + one
    /// array move each) and applies `isForbidden`. Returns `false` for an unknown id.
    @discardableResult
    public mutating func updateQuota(accountID: String, quota: AccountQuota) -> Bool {
        guard let found = indexByID[accountID] else { return false }
        let index = Int(found)
        let wasForbidden = flags[index] & Self.flagForbidden != 0
        accounts[index].quota = quota
        if wasForbidden != quota.isForbidden {
            setFlag(Self.flagForbidden, quota.isForbidden, at: index)
        }
        let oldFigures = figures[index]
        let newFigures = computeFigures(quota)
        figures[index] = newFigures
        var groups = oldFigures.map(\.group)
        for figure in newFigures where !groups.contains(figure.group) { groups.append(figure.group) }
        for group in groups {
            let oldScore = oldFigures.first { $0.group == group }?.best ?? Self.unknownScore
            let newScore = newFigures.first { $0.group == group }?.best ?? Self.unknownScore
            if oldScore != newScore {
                rerank(index, group: group, from: oldScore, to: newScore)
            }
        }
        // A changed reset time of a protected account reaches cached unavailability reports within
        // the selector's scan lifetime; bumping the lane here would discard every scan of the lane
        // on each refresh.
        return true
    }

    /// Upserts one model's quota on an account (what a live rate-limit observation gives) and sets
    /// `quota.last_updated`. Returns `false` for an unknown id.
    @discardableResult
    public mutating func updateModelQuota(accountID: String, _ modelQuota: ModelQuota, now: Date) -> Bool {
        guard let index = indexByID[accountID] else { return false }
        var quota = accounts[Int(index)].quota
        quota.upsert(modelQuota)
        quota.lastUpdated = now
        return updateQuota(accountID: accountID, quota: quota)
    }

    /// Replaces an account's `protected_models`. Returns `false` for an unknown id.
    @discardableResult
    public mutating func setProtected(accountID: String, groups: [String]) -> Bool {
        guard let found = indexByID[accountID] else { return false }
        let index = Int(found)
        accounts[index].protectedModels = groups
        let ids = groups.map { internGroup($0) }
        let before = protectedGroups[index]
        protectedGroups[index] = ids
        setFlag(Self.flagProtected, !groups.isEmpty, at: index)
        // Only a lifted protection can make an account usable; rewriting the same list is free.
        if before.contains(where: { !ids.contains($0) }) {
            laneGeneration[Int(laneOf[index])] &+= 1
        }
        return true
    }

    /// Disables or enables an account. Returns `false` for an unknown id.
    @discardableResult
    public mutating func setDisabled(accountID: String, disabled: Bool, reason: String? = nil) -> Bool {
        guard let found = indexByID[accountID] else { return false }
        let index = Int(found)
        accounts[index].disabled = disabled
        accounts[index].disabledReason = disabled ? reason : nil
        setFlag(Self.flagDisabled, disabled, at: index)
        return true
    }

    /// Replaces one account (same id) with a new version of its file. Incremental when provider,
    /// tier and models are unchanged; otherwise the whole index is rebuilt (O(n log n)).
    /// Returns `false` for an unknown id.
    @discardableResult
    public mutating func update(_ account: Account) -> Bool {
        guard let found = indexByID[account.id] else { return false }
        let index = Int(found)
        let old = accounts[index]
        guard old.provider == account.provider, old.tier == account.tier, old.models == account.models else {
            var all = accounts
            all[index] = account
            let generations = laneGeneration
            self = AccountPool(accounts: all, modelGroups: modelGroups)
            laneGeneration = generations.map { $0 &+ 1 }
            return true
        }
        if old.quota != account.quota { updateQuota(accountID: account.id, quota: account.quota) }
        if old.protectedModels != account.protectedModels { setProtected(accountID: account.id, groups: account.protectedModels) }
        if old.disabled != account.disabled { setDisabled(accountID: account.id, disabled: account.disabled) }
        accounts[index] = account
        return true
    }

    // MARK: Internals used by the selector

    /// Words of a bitmap with one bit per account.
    var wordCount: Int { (accounts.count + 63) / 64 }

    static func bitmap(_ indices: [Int32], words: Int) -> [UInt64] {
        var bits = [UInt64](repeating: 0, count: words)
        for index in indices { bits[Int(index &>> 6)] |= 1 &<< UInt64(index & 63) }
        return bits
    }

    @inline(__always)
    func figure(_ index: Int, _ group: Int32) -> GroupFigure? {
        for figure in figures[index] where figure.group == group { return figure }
        return nil
    }

    @inline(__always)
    func score(_ index: Int, _ group: Int32?) -> Double {
        guard let group else { return Self.unknownScore }
        return figure(index, group)?.best ?? Self.unknownScore
    }

    // MARK: Private

    private mutating func setFlag(_ flag: UInt8, _ on: Bool, at index: Int) {
        let before = flags[index]
        flags[index] = on ? before | flag : before & ~flag
        let unusable = Self.flagDisabled | Self.flagForbidden
        let wasUsable = before & unusable == 0
        let isUsable = flags[index] & unusable == 0
        if wasUsable != isUsable {
            let ordinal = Self.providerOrdinal(accounts[index].provider)
            for bucket in accountBuckets[index] {
                bucketUsable[Int(bucket)][ordinal] += isUsable ? 1 : -1
            }
        }
        if before != flags[index] {
            laneGeneration[Int(laneOf[index])] &+= 1
        }
    }

    private mutating func internGroup(_ name: String) -> Int32 {
        if let id = groupIDs[name] { return id }
        let id = Int32(groupNames.count)
        groupIDs[name] = id
        groupNames.append(name)
        return id
    }

    private mutating func internBucket(_ model: String) -> Int32 {
        if let id = bucketIDs[model] { return id }
        let id = Int32(bucketModel.count)
        bucketIDs[model] = id
        bucketModel.append(model)
        bucketGroup.append(internGroup(modelGroups[model] ?? model))
        bucketLists.append(Array(repeating: [], count: Self.laneCount))
        bucketRanked.append([])
        bucketUsable.append(Array(repeating: 0, count: Provider.allCases.count))
        return id
    }

    private mutating func computeFigures(_ quota: AccountQuota) -> [GroupFigure] {
        var result: [GroupFigure] = []
        for model in quota.models where model.percentage.isFinite {
            let group: Int32
            if let known = quotaModelGroups[model.name] {
                group = known
            } else {
                group = internGroup(modelGroups[model.name] ?? model.name)
                quotaModelGroups[model.name] = group
            }
            let percentage = min(100, max(0, model.percentage))
            if let position = result.firstIndex(where: { $0.group == group }) {
                result[position].best = max(result[position].best, percentage)
                if percentage < result[position].lowest
                    || (percentage == result[position].lowest && (model.resetTime ?? .distantPast) > (result[position].recovery ?? .distantPast))
                {
                    result[position].lowest = percentage
                    result[position].recovery = model.resetTime
                }
            } else {
                result.append(GroupFigure(group: group, best: percentage, lowest: percentage, recovery: model.resetTime))
            }
        }
        return result
    }

    private func rankedList(_ list: [Int32], group: Int32) -> [Ranked] {
        var keys = list.map { Ranked(score: score(Int($0), group), index: $0).key }
        // `list` is in index order: only figures other than "unknown" can break the order.
        if keys.contains(where: { $0 >> 32 != Self.unknownKeyHigh }) {
            keys.sort()
        }
        return keys.map { Ranked(key: $0) }
    }

    private static let unknownKeyHigh = Ranked(score: unknownScore, index: 0).key >> 32

    /// Moves account `index` within every most-remaining ordering of `group` it belongs to.
    private mutating func rerank(_ index: Int, group: Int32, from oldScore: Double, to newScore: Double) {
        let lane = Int(laneOf[index])
        let old = Ranked(score: oldScore, index: Int32(index))
        let new = Ranked(score: newScore, index: Int32(index))
        if flags[index] & Self.flagServesAny != 0 {
            if anyRanked[group] == nil {
                // Until now nobody had figures for the group: every score was unknown.
                anyRanked[group] = anyLists.map { $0.map { Ranked(score: Self.unknownScore, index: $0) } }
            }
            Self.move(old, to: new, in: &anyRanked[group]![lane])
        } else {
            for bucket in accountBuckets[index] where bucketGroup[Int(bucket)] == group {
                Self.move(old, to: new, in: &bucketRanked[Int(bucket)][lane])
            }
        }
    }

    private static func move(_ old: Ranked, to new: Ranked, in list: inout [Ranked]) {
        let from = lowerBound(list, old)
        guard from < list.count, list[from] == old else { return }
        let target = lowerBound(list, new)
        // One shift of the elements between the two positions (a memmove), no re-sort.
        list.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            if target <= from {
                (base + target + 1).update(from: base + target, count: from - target)
                base[target] = new
            } else {
                (base + from).update(from: base + from + 1, count: target - 1 - from)
                base[target - 1] = new
            }
        }
    }

    /// First position whose element does not come before `value`.
    private static func lowerBound(_ list: [Ranked], _ value: Ranked) -> Int {
        var low = 0
        var high = list.count
        while low < high {
            let middle = (low + high) / 2
            if Ranked.before(list[middle], value) { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
