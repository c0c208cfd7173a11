import Foundation
import NIOCore
import QuotaCore
import QuotaUpstream

/// Owns one ``LoopRouting`` per event loop and keeps them in step.
///
/// The request path calls ``routing(on:)`` for its own loop (no lock, no hop). Events learnt on one
/// loop are applied there at once and posted to the other loops with `execute`; control commands
/// and the flusher reach every loop with ``collect(_:)``.
final class RoutingCoordinator: Sendable {
    let eventLoops: [any EventLoop]
    private let states: [ObjectIdentifier: NIOLoopBound<LoopRouting>]
    /// The time of day events are applied at.
    let clock: WallClock

    /// Creates the per-loop state on each loop of `group`.
    static func make(
        group: any EventLoopGroup,
        pools: UpstreamPools,
        settings: RoutingSettings,
        accounts: [Account],
        cooldowns: CooldownBook,
        metrics: ProxyMetrics,
        clock: WallClock = .system
    ) async throws -> RoutingCoordinator {
        var loops: [any EventLoop] = []
        var states: [ObjectIdentifier: NIOLoopBound<LoopRouting>] = [:]
        for (index, loop) in group.makeIterator().enumerated() {
            let bound = try await loop.submit {
                NIOLoopBound(
                    LoopRouting(
                        eventLoop: loop, loopIndex: index, upstream: pools.pool(for: loop), clock: clock,
                        settings: settings, accounts: accounts, cooldowns: cooldowns, metrics: metrics),
                    eventLoop: loop)
            }.get()
            loops.append(loop)
            states[ObjectIdentifier(loop)] = bound
        }
        return RoutingCoordinator(eventLoops: loops, states: states, clock: clock)
    }

    /// A coordinator of one loop whose state is made here, on that loop (the request-path tests
    /// run it on an `EmbeddedEventLoop` with a scripted transport).
    /// - Precondition: called on `routing.eventLoop`.
    convenience init(single routing: LoopRouting) {
        let loop = routing.eventLoop
        self.init(
            eventLoops: [loop], states: [ObjectIdentifier(loop): NIOLoopBound(routing, eventLoop: loop)], clock: routing.clock)
    }

    private init(eventLoops: [any EventLoop], states: [ObjectIdentifier: NIOLoopBound<LoopRouting>], clock: WallClock) {
        self.eventLoops = eventLoops
        self.states = states
        self.clock = clock
    }

    /// The routing state of `eventLoop`; call only on that loop.
    func routing(on eventLoop: any EventLoop) -> LoopRouting {
        guard let state = states[ObjectIdentifier(eventLoop)] else {
            preconditionFailure("event loop \(eventLoop) is not part of the proxy's group")
        }
        return state.value
    }

    /// Applies `event` on the calling loop now (when it is one of ours) and on every other loop soon.
    func broadcast(_ event: RoutingEvent, from origin: (any EventLoop)? = nil) {
        let clock = self.clock
        let now = clock.now()
        for loop in eventLoops {
            guard let state = states[ObjectIdentifier(loop)] else { continue }
            if let origin, loop === origin {
                state.value.apply(event, now: now)
            } else {
                loop.execute { state.value.apply(event, now: clock.now()) }
            }
        }
    }

    /// Returns once every loop has applied the events broadcast before the call (each loop runs
    /// its tasks in order), so a control command's answer means "in effect everywhere".
    func settled() async {
        _ = await collect { _ in true }
    }

    /// Runs `body` on every loop with its state and returns the results in loop order.
    func collect<T: Sendable>(_ body: @escaping @Sendable (LoopRouting) -> T) async -> [T] {
        var results: [T] = []
        for loop in eventLoops {
            guard let state = states[ObjectIdentifier(loop)] else { continue }
            if let result = try? await loop.submit({ body(state.value) }).get() {
                results.append(result)
            }
        }
        return results
    }

    /// The Prometheus page: attempt counts summed over the loops, state from the first loop.
    func metricsPage() async -> [UInt8] {
        var attempts: [AttemptKey: UInt64] = [:]
        for counts in await collect({ $0.metrics.attempts }) {
            attempts.merge(counts, uniquingKeysWith: +)
        }
        let first = try? await withFirst { routing in
            (routing.metrics.shared, routing.selector.pool.accounts, routing.cooldowns.activeEntries(now: routing.clock.now()))
        }
        guard let (metrics, accounts, cooldowns) = first else { return [] }
        return metrics.render(accounts: accounts, cooldowns: cooldowns, attempts: attempts)
    }

    /// Runs `body` on the first loop (for reads that any copy can answer).
    func withFirst<T: Sendable>(_ body: @escaping @Sendable (LoopRouting) -> T) async throws -> T {
        let loop = eventLoops[0]
        let state = states[ObjectIdentifier(loop)]!
        return try await loop.submit { body(state.value) }.get()
    }
}
