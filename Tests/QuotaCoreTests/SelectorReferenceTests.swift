import Foundation
import Testing

@testable import QuotaCore

/// The selection rules written the slow, obvious way: every pick looks at every account.
private struct ReferenceSelector {
    var accounts: [Account]
    var modelGroups: [String: String]
    var cursors: [String: Int] = [:]

    enum Verdict { case available, excluded, disabled, forbidden, protected, cooling }

    func group(_ request: SelectionRequest) -> String {
        request.group ?? modelGroups[request.model] ?? request.model
    }

    func verdict(_ account: Account, _ request: SelectionRequest, _ book: CooldownBook, _ now: Date) -> Verdict {
        if account.disabled { return .disabled }
        if account.quota.isForbidden { return .forbidden }
        if request.protectionEnabled && account.protectedModels.contains(group(request)) { return .protected }
        if book.blockedUntil(account: account.id, group: group(request), now: now) != nil { return .cooling }
        if request.excluding.contains(account.id) { return .excluded }
        return .available
    }

    func score(_ account: Account, group: String) -> Double {
        let figures = account.quota.models.filter { (modelGroups[$0.name] ?? $0.name) == group }.map(\.percentage)
        return figures.max() ?? 100
    }

    mutating func pick(_ request: SelectionRequest, _ book: CooldownBook, _ now: Date) -> (String?, Unavailability.TierCounts) {
        var counts = Unavailability.TierCounts()
        for tier in [Tier.primary, .fallback] {
            if tier == .fallback && request.disableFallback { break }
            let candidates = accounts.indices.filter {
                accounts[$0].provider == request.providers[0] && accounts[$0].tier == tier && accounts[$0].serves(model: request.model)
            }
            let available = candidates.filter { verdict(accounts[$0], request, book, now) == .available }
            if !available.isEmpty {
                let chosen: Int
                switch request.strategy {
                case .fillFirst:
                    chosen = available[0]
                case .mostRemaining:
                    chosen = available.max { lhs, rhs in
                        let l = score(accounts[lhs], group: group(request))
                        let r = score(accounts[rhs], group: group(request))
                        return l < r || (l == r && lhs > rhs)
                    }!
                case .roundRobin:
                    let key = "\(request.providers[0])-\(tier)-\(group(request))"
                    let last = cursors[key] ?? -1
                    chosen = available.first { $0 > last } ?? available[0]
                    cursors[key] = chosen
                }
                return (accounts[chosen].id, counts)
            }
            for index in candidates {
                counts.total += 1
                switch verdict(accounts[index], request, book, now) {
                case .disabled: counts.disabled += 1
                case .forbidden: counts.forbidden += 1
                case .protected: counts.protected += 1
                case .cooling: counts.rateLimited += 1  // reasons are compared as a sum
                case .excluded: counts.alreadyTried += 1
                case .available: break
                }
            }
        }
        return (nil, counts)
    }
}

/// A small deterministic generator (SplitMix64) so failures reproduce.
private struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct SelectorReferenceTests {
    static let models = ["m0", "m1", "m2", "m0-thinking"]
    static let groups = ["m0": "m0", "m0-thinking": "m0", "m1": "m1", "m2": "m2"]

    @Test(arguments: 0..<16)
    func matchesTheReferenceUnderRandomOperations(seed: Int) {
        var random = SplitMix(state: UInt64(seed) &* 7919 &+ 1)
        // Small pools hit every branch often; large ones span several 64-account bitmap words.
        let count = seed < 8 ? Int.random(in: 3...40, using: &random) : Int.random(in: 60...260, using: &random)
        var accounts: [Account] = []
        for index in 0..<count {
            let models: [String]? = Bool.random(using: &random) ? nil : Array(Self.models.shuffled(using: &random).prefix(Int.random(in: 1...3, using: &random)))
            let quota = Self.models.filter { _ in Int.random(in: 0..<3, using: &random) == 0 }.map {
                ModelQuota(name: $0, percentage: Double(Int.random(in: 0...10, using: &random) * 10))
            }
            accounts.append(
                makePoolAccount(
                    "acc-\(index)", provider: Int.random(in: 0..<5, using: &random) == 0 ? .anthropic : .openai,
                    tier: Int.random(in: 0..<3, using: &random) == 0 ? .fallback : .primary, models: models, quota: quota,
                    protected: Int.random(in: 0..<4, using: &random) == 0 ? ["m0"] : [],
                    disabled: Int.random(in: 0..<10, using: &random) == 0))
        }
        var selector = AccountSelector(accounts: accounts, modelGroups: Self.groups)
        selector.scanCacheLifetime = 1_000_000  // only exact invalidation may save us
        var reference = ReferenceSelector(accounts: accounts, modelGroups: Self.groups)
        var book = CooldownBook()
        var now = fixtureEpoch

        for step in 0..<600 {
            let id = "acc-\(Int.random(in: 0..<count, using: &random))"
            let index = selector.pool.index(of: id)!
            let model = Self.models.randomElement(using: &random)!
            let group = Self.groups[model]!
            switch Int.random(in: 0..<20, using: &random) {
            case 0:
                book.recordQuotaExhausted(account: id, group: group, resetAt: now.addingTimeInterval(Double(Int.random(in: 1...50, using: &random))), now: now)
            case 1:
                book.recordRateLimited(account: id, group: group, until: nil, now: now)
            case 2:
                book.recordServiceFailure(account: id, now: now)
            case 3:
                book.clear(account: id, group: Bool.random(using: &random) ? group : nil)
            case 4:
                let groups = Bool.random(using: &random) ? [] : [group]
                selector.setProtected(accountID: id, groups: groups)
                reference.accounts[index].protectedModels = groups
            case 5:
                let disabled = Int.random(in: 0..<3, using: &random) == 0
                selector.setDisabled(accountID: id, disabled: disabled)
                reference.accounts[index].disabled = disabled
            case 6:
                let quota = ModelQuota(name: model, percentage: Double(Int.random(in: 0...100, using: &random)))
                selector.updateModelQuota(accountID: id, quota, now: now)
                reference.accounts[index].quota.upsert(quota)
            case 7:
                var quota = reference.accounts[index].quota
                quota.isForbidden = Int.random(in: 0..<4, using: &random) == 0
                selector.updateQuota(accountID: id, quota: quota)
                reference.accounts[index].quota = quota
            case 8:
                now.addTimeInterval(Double(Int.random(in: 1...20, using: &random)))
            default:
                let excluding: Set<String> = Int.random(in: 0..<4, using: &random) == 0 ? [id] : []
                let strategy = QuotaProxyConfiguration.RoutingStrategy.allCases.randomElement(using: &random)!
                let request = SelectionRequest(
                    provider: Int.random(in: 0..<6, using: &random) == 0 ? .anthropic : .openai, model: model,
                    group: Bool.random(using: &random) ? group : nil,
                    strategy: strategy, protectionEnabled: Int.random(in: 0..<5, using: &random) != 0,
                    disableFallback: Int.random(in: 0..<4, using: &random) == 0, excluding: excluding)
                let actual = selector.pick(request, cooldowns: book, now: now)
                let (expectedID, expectedCounts) = reference.pick(request, book, now)
                #expect(actual.pickedID == expectedID, "seed \(seed) step \(step) \(request)")
                if let report = actual.unavailability {
                    let counts = report.considered
                    #expect(counts.total == expectedCounts.total, "seed \(seed) step \(step)")
                    #expect(counts.disabled == expectedCounts.disabled, "seed \(seed) step \(step)")
                    #expect(counts.forbidden == expectedCounts.forbidden, "seed \(seed) step \(step)")
                    #expect(counts.protected == expectedCounts.protected, "seed \(seed) step \(step)")
                    #expect(counts.coolingDown == expectedCounts.rateLimited, "seed \(seed) step \(step)")
                    #expect(counts.alreadyTried == expectedCounts.alreadyTried, "seed \(seed) step \(step)")
                    #expect(report.willNeverRecover == (counts.total == counts.disabled + counts.forbidden))
                }
            }
        }
    }
}
