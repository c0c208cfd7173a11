import Foundation
import Logging
import NIOPosix
import QuotaCore
import QuotaState
import Synchronization

/// Moves finished requests from the event loops' buffers to the request log files about once a
/// second (and at shutdown), on a thread-pool thread, so the request path never touches the disk.
///
/// Records produced off the loops (warmups) are handed in with ``add(_:)``.
final class RequestLogFlusher: Sendable {
    private let coordinator: RoutingCoordinator
    private let state: StateDirectory
    private let logger: Logger
    private let writer: Mutex<RequestLogWriter>
    private let offLoop = Mutex<[RequestRecord]>([])
    /// Whether the last write failed (so the error is logged once, and its recovery too).
    private let failing = Atomic<Bool>(false)

    init(coordinator: RoutingCoordinator, state: StateDirectory, settings: QuotaProxyConfiguration.RequestLog, logger: Logger) {
        self.coordinator = coordinator
        self.state = state
        self.logger = logger
        self.writer = Mutex(state.requestLogWriter(maxFileBytes: settings.maxFileBytes, maxFiles: settings.maxFiles))
    }

    /// Applies new rotation limits (from a reload) to the next write.
    func reconfigure(_ settings: QuotaProxyConfiguration.RequestLog) {
        writer.withLock { writer in
            guard writer.maxFileBytes != settings.maxFileBytes || writer.maxFiles != settings.maxFiles else { return }
            writer.close()
            writer = state.requestLogWriter(maxFileBytes: settings.maxFileBytes, maxFiles: settings.maxFiles)
        }
    }

    /// A record made outside the event loops (a warmup).
    func add(_ record: RequestRecord) {
        offLoop.withLock { $0.append(record) }
    }

    /// Writes what the loops buffered since the last call. Returns the number of records written.
    @discardableResult
    func flush(sync: Bool = false) async -> Int {
        let drained = await coordinator.collect { $0.drainRequestRecords() }
        var records = offLoop.withLock { pending in
            defer { pending.removeAll() }
            return pending
        }
        var dropped = 0
        for (loopRecords, loopDropped) in drained {
            records += loopRecords
            dropped += loopDropped
        }
        if dropped > 0 {
            logger.warning("request log: \(dropped) records were dropped because writing fell behind")
        }
        guard !records.isEmpty || sync else { return 0 }
        records.sort { $0.time < $1.time }
        return await withCheckedContinuation { continuation in
            NIOThreadPool.singleton.submit { _ in
                continuation.resume(returning: self.write(records, sync: sync))
            }
        }
    }

    private func write(_ records: [RequestRecord], sync: Bool) -> Int {
        do {
            try writer.withLock { writer throws(RequestLogError) in
                if !records.isEmpty { try writer.append(records) }
                if sync { try writer.sync() }
            }
            if failing.exchange(false, ordering: .relaxed) {
                logger.notice("request log: writing works again")
            }
            return records.count
        } catch {
            if !failing.exchange(true, ordering: .relaxed) {
                logger.error("request log: \(error); \(records.count) records lost, requests are still served")
            }
            return 0
        }
    }
}
