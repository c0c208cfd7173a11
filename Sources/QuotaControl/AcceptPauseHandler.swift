import Logging
import NIOCore

/// The first handler of a control socket's listening channel: closes a connection as soon as it
/// is accepted when ``ControlConnectionLimit/maximum`` are open or it would take the descriptor
/// reserve (``DescriptorLedger``), counts failed `accept`s and, when
/// one failed for want of descriptors or memory, stops accepting for a while (``AcceptPause``,
/// shared with the proxy's HTTP listener; NIO's `AcceptBackoffHandler`, which `ServerBootstrap`
/// adds after this one, never sees the failure).
final class AcceptPauseHandler: ChannelInboundHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel

    /// Failed accepts are logged at most this often.
    static let logInterval = TimeAmount.seconds(10)

    private let failures: AcceptFailureCounter
    private let limit: ControlConnectionLimit
    private let path: String
    private let logger: Logger
    private let pause = AcceptPause()
    private var failuresSinceLog = 0
    private var lastLog: NIODeadline?
    private var refusedSinceLog = 0
    private var lastRefusalLog: NIODeadline?

    init(failures: AcceptFailureCounter, limit: ControlConnectionLimit, path: String, logger: Logger) {
        self.failures = failures
        self.limit = limit
        self.path = path
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let accepted = unwrapInboundIn(data)
        let admission = limit.admit()
        guard admission == .admitted else {
            // Not initialised yet (that happens after this handler): nothing to answer with.
            accepted.close(promise: nil)
            refusedSinceLog += 1
            let now = NIODeadline.now()
            if lastRefusalLog.map({ now - $0 >= Self.logInterval }) ?? true {
                lastRefusalLog = now
                let why =
                    admission == .atMaximum
                    ? "\(limit.maximum) are open; a client is not closing its connections"
                    : "they would take the descriptors kept in reserve (\(limit.descriptors.budget)); raise LimitNOFILE"
                logger.warning("closed \(refusedSinceLog) new control connection(s): \(why)", metadata: ["socket": "\(path)"])
                refusedSinceLog = 0
            }
            return
        }
        let limit = self.limit
        accepted.closeFuture.whenComplete { _ in limit.release() }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard AcceptPause.isNeeded(after: error) else {
            context.fireErrorCaught(error)
            return
        }
        // Ends here: the listener keeps running, and NIO's AcceptBackoffHandler never sees it.
        failures.add()
        failuresSinceLog += 1
        logIfDue(error)
        pause.begin(context)
    }

    private func logIfDue(_ error: any Error) {
        let now = NIODeadline.now()
        if let lastLog, now - lastLog < Self.logInterval { return }
        lastLog = now
        logger.error(
            "accepting connections on the control socket failed \(failuresSinceLog) time(s): \(error); accepting pauses \(AcceptPause.duration.nanoseconds / 1_000_000) ms after each; if descriptors ran out, raise LimitNOFILE",
            metadata: ["socket": "\(path)"])
        failuresSinceLog = 0
    }
}
