import Logging
import NIOCore
import QuotaControl

/// The handler of the listening channel: closes a connection as soon as it is accepted when
/// `listen.max_connections` are open or it would take the descriptor reserve (counted in
/// ``ClientConnectionLimit``), and stops accepting
/// for a while when `accept` fails for want of descriptors or memory (``AcceptPause``, shared
/// with the control sockets).
final class ConnectionGateHandler: ChannelInboundHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel

    /// Warnings about refused connections and failed accepts are logged at most this often.
    static let logInterval = TimeAmount.seconds(10)

    private let limit: ClientConnectionLimit
    private let logger: Logger
    private let pause = AcceptPause()
    private var refusedSinceLog = 0
    private var refusedForReserveAtLog = 0
    private var failuresSinceLog = 0
    private var lastLog: NIODeadline?

    init(limit: ClientConnectionLimit, logger: Logger) {
        self.limit = limit
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let accepted = unwrapInboundIn(data)
        guard limit.admit() else {
            accepted.close(promise: nil)
            refusedSinceLog += 1
            logIfDue(nil)
            return
        }
        let limit = self.limit
        accepted.closeFuture.whenComplete { _ in limit.release() }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Accept failures end here: the listener keeps running.
        limit.countAcceptFailure()
        failuresSinceLog += 1
        logIfDue(error)
        if AcceptPause.isNeeded(after: error) { pause.begin(context) }
    }

    private func logIfDue(_ error: (any Error)?) {
        let now = NIODeadline.now()
        if let lastLog, now - lastLog < Self.logInterval { return }
        lastLog = now
        if refusedSinceLog > 0 {
            let forReserve = limit.refusedForReserveCount - refusedForReserveAtLog
            refusedForReserveAtLog += forReserve
            if forReserve > 0 {
                logger.warning(
                    "closed \(refusedSinceLog) new client connection(s), \(forReserve) of them because they would take the descriptors kept in reserve (\(limit.descriptors.budget)); raise LimitNOFILE"
                )
            } else {
                logger.warning("closed \(refusedSinceLog) new client connection(s): listen.max_connections (\(limit.maximum)) are open")
            }
        }
        if let error {
            let pause = AcceptPause.duration.nanoseconds / 1_000_000
            logger.error(
                "accepting client connections failed \(failuresSinceLog) time(s): \(error); accepting pauses \(pause) ms after each; if descriptors ran out, raise LimitNOFILE or lower listen.max_connections"
            )
        }
        refusedSinceLog = 0
        failuresSinceLog = 0
    }
}
