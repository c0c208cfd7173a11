// Benchmark of AccountPool building and AccountSelector picks: `swift run -c release selection-bench`.
// Not a test: it prints timings and asserts nothing about them.
import Foundation
import QuotaCore

#if canImport(Glibc)
import Glibc
#endif

/// CPU time of this thread in nanoseconds: unlike wall time, not inflated by other processes.
func threadCPUNanoseconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
    return Double(spec.tv_sec) * 1e9 + Double(spec.tv_nsec)
}

struct Generator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

let accountCount = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 10_000 : 10_000
let modelCount = 20
let models = (0..<modelCount).map { "model-\($0)" }
// Pairs of models share a protection group (like claude-sonnet-4-5 / -thinking).
let groupMap = Dictionary(uniqueKeysWithValues: models.enumerated().map { ($0.element, "group-\($0.offset / 2)") })
let now = Date(timeIntervalSince1970: 1_800_000_000)
var random = Generator(state: 42)

@MainActor func makeAccounts() -> [Account] {
    (0..<accountCount).map { index in
        let explicit = index % 2 == 0
        let served = explicit ? Array(models.shuffled(using: &random).prefix(10)) : nil
        let quota = models.shuffled(using: &random).prefix(8).map {
            ModelQuota(name: $0, percentage: Double(Int.random(in: 0...100, using: &random)), resetTime: now.addingTimeInterval(3600))
        }
        let protected = index % 20 == 0 ? ["group-\(Int.random(in: 0..<10, using: &random))"] : []
        return Account(
            id: String(format: "acc-%05d", index), provider: index % 7 == 6 ? .anthropic : .openai,
            baseURL: "https://api.example.com", tier: index % 10 == 9 ? .fallback : .primary,
            credentials: .apiKey("sk-bench-\(index)"), models: served,
            quota: AccountQuota(models: quota, lastUpdated: now), protectedModels: protected,
            disabled: index % 50 == 7)
    }
}

@MainActor func measure(_ label: String, iterations: Int, _ body: (Int) -> Int) {
    if let filter = ProcessInfo.processInfo.environment["BENCH_FILTER"], !label.contains(filter) { return }
    var sink = 0
    let clock = ContinuousClock()
    // Warm-up.
    for i in 0..<min(iterations, 1000) { sink &+= body(i) }
    let start = clock.now
    let cpuStart = threadCPUNanoseconds()
    for i in 0..<iterations { sink &+= body(i) }
    let cpu = threadCPUNanoseconds() - cpuStart
    let elapsed = clock.now - start
    let nanoseconds = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
    print(
        String(
            format: "%-58@ %9.0f ns/op CPU %9.0f ns/op wall  (%d ops, sink %d)", label as NSString,
            cpu / Double(iterations), nanoseconds / Double(iterations), iterations, sink & 0xFF))
}

@MainActor func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

let accounts = makeAccounts()
let clock = ContinuousClock()
var pool = AccountPool(accounts: accounts, modelGroups: groupMap)
var buildTimes: [Double] = []
var buildCPU: [Double] = []
for _ in 0..<5 {
    let started = clock.now
    let cpuStarted = threadCPUNanoseconds()
    pool = AccountPool(accounts: accounts, modelGroups: groupMap)
    buildCPU.append(threadCPUNanoseconds() - cpuStarted)
    buildTimes.append(seconds(clock.now - started))
}
print(
    String(
        format: "build pool of %d accounts x %d models: CPU best %.1f ms, worst %.1f ms; wall best %.1f ms, worst %.1f ms",
        accountCount, modelCount, buildCPU.min()! / 1e6, buildCPU.max()! / 1e6, buildTimes.min()! * 1000, buildTimes.max()! * 1000))

// Cooldowns on ~10% of accounts (random groups), a few open circuits.
var book = CooldownBook()
for index in stride(from: 3, to: accountCount, by: 10) {
    let id = String(format: "acc-%05d", index)
    book.recordQuotaExhausted(account: id, group: "group-\(Int.random(in: 0..<10, using: &random))", resetAt: now.addingTimeInterval(7200), now: now)
}
for index in stride(from: 5, to: accountCount, by: 97) {
    let id = String(format: "acc-%05d", index)
    for second in 0..<3 { book.recordServiceFailure(account: id, now: now.addingTimeInterval(Double(second) - 10)) }
}
print("cooldown entries active: \(book.activeEntries(now: now).count)")

@MainActor func request(_ i: Int, _ strategy: QuotaProxyConfiguration.RoutingStrategy, excluding: Set<String> = []) -> SelectionRequest {
    let model = models[i % modelCount]
    return SelectionRequest(provider: .openai, model: model, group: groupMap[model]!, strategy: strategy, excluding: excluding)
}

for strategy in QuotaProxyConfiguration.RoutingStrategy.allCases {
    var selector = AccountSelector(pool: pool)
    let requests = (0..<modelCount).map { request($0, strategy) }
    measure("pick \(strategy.rawValue), 10% cooling, 5% protected", iterations: 1_000_000) { i in
        let selection = selector.pick(requests[i % modelCount], cooldowns: book, now: now.addingTimeInterval(Double(i) * 1e-5))
        return selection.selected?.index ?? -1
    }
}

do {
    var selector = AccountSelector(pool: pool)
    let requests = (0..<modelCount).map { request($0, .roundRobin, excluding: [String(format: "acc-%05d", $0), "acc-00001"]) }
    measure("pick round-robin with 2 tried ids", iterations: 1_000_000) { i in
        selector.pick(requests[i % modelCount], cooldowns: book, now: now).selected?.index ?? -1
    }
}

do {
    var selector = AccountSelector(pool: pool)
    let requests = (0..<modelCount).map { request($0, .roundRobin) }
    let empty = CooldownBook()
    measure("pick round-robin, empty cooldown book", iterations: 1_000_000) { i in
        selector.pick(requests[i % modelCount], cooldowns: empty, now: now).selected?.index ?? -1
    }
}

// Every primary account exhausted for group-0: each request ends on the fallback tier.
var exhausted = book
for account in accounts where account.tier == .primary {
    exhausted.recordQuotaExhausted(account: account.id, group: "group-0", resetAt: now.addingTimeInterval(7200), now: now)
}
do {
    var selector = AccountSelector(pool: pool)
    let request0 = request(0, .roundRobin)
    for attempt in ["first", "second"] {
        var cold = AccountSelector(pool: pool)
        let started = threadCPUNanoseconds()
        let first = cold.pick(request0, cooldowns: exhausted, now: now)
        print(
            String(
                format: "%@ fresh selector, all %d primaries exhausted (full walk): %.1f µs CPU → %@", attempt,
                accounts.filter { $0.tier == .primary }.count, (threadCPUNanoseconds() - started) / 1e3,
                first.selected?.tier.rawValue ?? "none"))
    }
    measure("pick round-robin, all primaries exhausted (cached scan)", iterations: 1_000_000) { i in
        selector.pick(request0, cooldowns: exhausted, now: now.addingTimeInterval(Double(i) * 1e-5)).selected?.index ?? -1
    }
    var noneLeft = exhausted
    for account in accounts where account.tier == .fallback {
        noneLeft.recordQuotaExhausted(account: account.id, group: "group-0", resetAt: now.addingTimeInterval(3600), now: now)
    }
    measure("pick → unavailable report, everything exhausted (cached)", iterations: 1_000_000) { i in
        selector.pick(request0, cooldowns: noneLeft, now: now.addingTimeInterval(Double(i) * 1e-5)).unavailability?.considered.total ?? -1
    }
    var uncached = selector
    uncached.scanCacheLifetime = 0
    measure("pick → unavailable report, everything exhausted (no cache)", iterations: ProcessInfo.processInfo.environment["BENCH_WALKS"].flatMap(Int.init) ?? 200) { i in
        uncached.pick(request0, cooldowns: noneLeft, now: now).unavailability?.considered.total ?? -1
    }
}

// Nearly exhausted: only every 1000th openai primary account still has quota for group-2.
do {
    var nearly = book
    var usable = 0
    for (index, account) in accounts.enumerated() where account.tier == .primary {
        if index % 1000 == 0 { usable += 1; continue }
        nearly.recordQuotaExhausted(account: account.id, group: "group-2", resetAt: now.addingTimeInterval(7200), now: now)
    }
    for strategy in QuotaProxyConfiguration.RoutingStrategy.allCases {
        var selector = AccountSelector(pool: pool)
        let request4 = request(4, strategy)
        measure("pick \(strategy.rawValue), ~\(usable) usable of all primaries", iterations: 1_000_000) { i in
            selector.pick(request4, cooldowns: nearly, now: now.addingTimeInterval(Double(i) * 1e-5)).selected?.index ?? -1
        }
    }
}

// Churn: every primary blocked for group-5, cooldowns ending 1 ms apart while time moves on, so
// marks expire one by one and accounts keep coming back.
do {
    var staggered = book
    for (index, account) in accounts.enumerated() where account.tier == .primary {
        staggered.recordRateLimited(account: account.id, group: "group-5", until: now.addingTimeInterval(Double(index) * 0.001 + 0.001), now: now)
    }
    for strategy in QuotaProxyConfiguration.RoutingStrategy.allCases {
        var selector = AccountSelector(pool: pool)
        let request10 = request(10, strategy)
        measure("pick \(strategy.rawValue), staggered cooldowns ending", iterations: 1_000_000) { i in
            selector.pick(request10, cooldowns: staggered, now: now.addingTimeInterval(Double(i) * 1e-5)).selected?.index ?? -1
        }
    }
}

// Fill-first after the first half of the pool was used up.
do {
    var halfUsed = book
    for account in accounts.prefix(accountCount / 2) {
        halfUsed.recordQuotaExhausted(account: account.id, group: "group-1", resetAt: now.addingTimeInterval(7200), now: now)
    }
    var selector = AccountSelector(pool: pool)
    let request2 = request(2, .fillFirst)
    measure("pick fill-first, first half of the pool exhausted", iterations: 1_000_000) { i in
        selector.pick(request2, cooldowns: halfUsed, now: now.addingTimeInterval(Double(i) * 1e-5)).selected?.index ?? -1
    }
}

do {
    var selector = AccountSelector(pool: pool)
    let ids = accounts.map(\.id)
    measure("updateModelQuota (live headers, re-rank)", iterations: 200_000) { i in
        let model = models[i % modelCount]
        let changed = selector.updateModelQuota(
            accountID: ids[(i &* 7919) % ids.count], ModelQuota(name: model, percentage: Double(i % 101), resetTime: now), now: now)
        return changed ? 1 : 0
    }
    let request0 = request(0, .mostRemaining)
    measure("pick most-remaining after 200k quota updates", iterations: 1_000_000) { i in
        selector.pick(request0, cooldowns: book, now: now).selected?.index ?? -1
    }
}

do {
    var recorded = book
    measure("CooldownBook.recordRateLimited + blockedUntil", iterations: 1_000_000) { i in
        let id = accounts[i % accountCount].id
        recorded.recordRateLimited(account: id, group: "group-3", until: nil, now: now)
        return recorded.blockedUntil(account: id, group: "group-3", now: now) == nil ? 0 : 1
    }
}

// Parsing the rate-limit headers of one proxied answer.
do {
    let anthropic: [(name: String, value: String)] = [
        ("content-type", "application/json"), ("request-id", "req_011CV"), ("anthropic-ratelimit-requests-limit", "4000"),
        ("anthropic-ratelimit-requests-remaining", "3999"), ("anthropic-ratelimit-requests-reset", "2026-11-22T18:00:00Z"),
        ("anthropic-ratelimit-tokens-limit", "400000"), ("anthropic-ratelimit-tokens-remaining", "398000"),
        ("anthropic-ratelimit-tokens-reset", "2026-11-22T18:00:01Z"), ("server", "cloudflare"),
    ]
    let openAI: [(name: String, value: String)] = [
        ("content-type", "application/json"), ("x-ratelimit-limit-requests", "10000"), ("x-ratelimit-remaining-requests", "9999"),
        ("x-ratelimit-reset-requests", "6ms"), ("x-ratelimit-limit-tokens", "2000000"),
        ("x-ratelimit-remaining-tokens", "1999000"), ("x-ratelimit-reset-tokens", "1m30.5s"), ("openai-processing-ms", "312"),
    ]
    measure("RateLimitHeaders.parse (anthropic, 9 headers)", iterations: 200_000) { _ in
        Int(RateLimitHeaders.parse(anthropic, now: now).percentage ?? -1)
    }
    measure("RateLimitHeaders.parse (openai, 8 headers)", iterations: 200_000) { _ in
        Int(RateLimitHeaders.parse(openAI, now: now).percentage ?? -1)
    }
    let body = Array(#"{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}}"#.utf8)
    measure("UpstreamErrorClassifier.classify (429, 130-byte body)", iterations: 200_000) { _ in
        UpstreamErrorClassifier.classify(status: 429, headers: openAI, body: body, now: now) == .serviceError ? 1 : 0
    }
}
