import Foundation
import Logging
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
        let drained = await coordinator.collect { $0.drainRequestLog() }
        let warmups = offLoop.withLock { pending in
            defer { pending.removeAll() }
            return pending
        }
        var batches = drained.map(\.lines).filter { !$0.isEmpty }
        var records = drained.reduce(0) { $0 + $1.records }
        if !warmups.isEmpty {
            var lines: [UInt8] = []
            for record in warmups.sorted(by: { $0.time < $1.time }) {
                record.appendJSON(to: &lines)
                lines.append(0x0A)
            }
            batches.append(lines)
            records += warmups.count
        }
        let dropped = drained.reduce(0) { $0 + $1.dropped }
        if dropped > 0 {
            logger.warning("request log: \(dropped) records were dropped because writing fell behind")
        }
        guard !batches.isEmpty || sync else { return 0 }
        let written = batches
        let count = records
        return await onThreadPool { self.write(written, records: count, sync: sync) }
    }

    /// Each batch holds one loop's lines in time order; across loops lines may interleave by up to
    /// a flush interval, which readers (``RequestLogReader``) put back in order.
    private func write(_ batches: [[UInt8]], records: Int, sync: Bool) -> Int {
        do {
            try writer.withLock { writer throws(RequestLogError) in
                for batch in batches { try writer.appendEncoded(batch) }
                if sync { try writer.sync() }
            }
            if failing.exchange(false, ordering: .relaxed) {
                logger.notice("request log: writing works again")
            }
            return records
        } catch {
            if !failing.exchange(true, ordering: .relaxed) {
                logger.error("request log: \(error); \(records) records lost, requests are still served")
            }
            return 0
        }
    }
}
