import NIOConcurrencyHelpers
import NIOCore

/// One ``UpstreamConnectionPool`` per event loop of a group, each created on first use on its
/// loop, all sharing one TLS context. `Sendable`: hand it to every server channel.
///
/// ``pool(for:)`` takes no lock for the loops of the group given at init: each loop has a slot
/// that only that loop ever touches. (A loop from another group gets a slot behind a lock.)
public final class UpstreamPools: Sendable {
    /// The settings of every pool.
    public let configuration: UpstreamPoolConfiguration
    private let tlsContextCache: TLSContextCache
    /// One slot per loop of the group; the dictionary itself never changes after init.
    private let slots: [ObjectIdentifier: Slot]
    /// Slots for loops outside the group (a misconfiguration that still works).
    private let foreignSlots = NIOLockedValueBox<[ObjectIdentifier: Slot]>([:])

    /// Creates the (still empty) pools for the loops of `group`.
    public init(group: any EventLoopGroup, configuration: UpstreamPoolConfiguration = .init()) {
        self.configuration = configuration
        self.tlsContextCache = TLSContextCache(configuration: configuration.tlsConfiguration)
        var slots: [ObjectIdentifier: Slot] = [:]
        for eventLoop in group.makeIterator() {
            slots[ObjectIdentifier(eventLoop)] = Slot(eventLoop: eventLoop)
        }
        self.slots = slots
    }

    /// The pool of `eventLoop`, created on first use.
    ///
    /// - Precondition: called on `eventLoop` (`eventLoop.inEventLoop`).
    public func pool(for eventLoop: any EventLoop) -> UpstreamConnectionPool {
        eventLoop.preconditionInEventLoop()
        let slot = self.slots[ObjectIdentifier(eventLoop)] ?? self.foreignSlot(for: eventLoop)
        return slot.pool(configuration: self.configuration, tlsContextCache: self.tlsContextCache)
    }

    /// Shuts down every pool (see ``UpstreamConnectionPool/shutdown()``); pools handed out
    /// afterwards fail every request with ``UpstreamError/shutdown``.
    public func shutdown() async {
        var all = Array(self.slots.values)
        all.append(contentsOf: self.foreignSlots.withLockedValue { Array($0.values) })
        for slot in all {
            let done = slot.eventLoop.flatSubmit {
                slot.shutdownOnLoop()
            }
            try? await done.get()
        }
    }

    private func foreignSlot(for eventLoop: any EventLoop) -> Slot {
        self.foreignSlots.withLockedValue { slots in
            if let slot = slots[ObjectIdentifier(eventLoop)] {
                return slot
            }
            let slot = Slot(eventLoop: eventLoop)
            slots[ObjectIdentifier(eventLoop)] = slot
            return slot
        }
    }
}

/// The pool of one loop.
///
/// `@unchecked Sendable`: `eventLoop` is immutable; the mutable state is read and written only
/// on `eventLoop` (enforced by `preconditionInEventLoop` in `UpstreamPools.pool(for:)` and by
/// running `shutdownOnLoop` through `flatSubmit`), so it is never shared between threads.
private final class Slot: @unchecked Sendable {
    let eventLoop: any EventLoop
    private var pool: UpstreamConnectionPool?
    private var isShutdown = false

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func pool(configuration: UpstreamPoolConfiguration, tlsContextCache: TLSContextCache) -> UpstreamConnectionPool {
        if let pool = self.pool {
            return pool
        }
        let pool = UpstreamConnectionPool(
            eventLoop: self.eventLoop,
            configuration: configuration,
            tlsContextCache: tlsContextCache
        )
        if self.isShutdown {
            _ = pool.shutdown()
        }
        self.pool = pool
        return pool
    }

    func shutdownOnLoop() -> EventLoopFuture<Void> {
        self.isShutdown = true
        guard let pool = self.pool else {
            return self.eventLoop.makeSucceededVoidFuture()
        }
        return pool.shutdown()
    }
}
