import Logging
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// The handler of the listening channel: closes a connection as soon as it is accepted when
/// `listen.max_connections` are open (counted in ``ClientConnectionLimit``), and stops accepting
/// for ``acceptBackoff`` when `accept` fails for want of descriptors or memory.
///
/// Why not NIO's `AcceptBackoffHandler`: it delays the next `read()`, but when the first
/// `accept` of a read cycle fails, NIO's server channel keeps its read pending and stays
/// registered for readability, so the listener (level-triggered, with connections waiting in the
/// backlog) wakes up and fails again at once, in a busy loop. Turning `autoRead` off removes the
/// readability interest; turning it back on after the pause re-arms it.
final class ConnectionGateHandler: ChannelInboundHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel

    /// How long accepting pauses after it failed for want of descriptors or memory.
    static let acceptBackoff = TimeAmount.milliseconds(250)
    /// Warnings about refused connections and failed accepts are logged at most this often.
    static let logInterval = TimeAmount.seconds(10)

    private let limit: ClientConnectionLimit
    private let logger: Logger
    private var isPaused = false
    private var refusedSinceLog = 0
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
        guard let error = error as? IOError, Self.needsBackoff(error), !isPaused else { return }
        isPaused = true
        try? context.channel.syncOptions?.setOption(.autoRead, value: false)
        context.eventLoop.assumeIsolated().scheduleTask(in: Self.acceptBackoff) { [self] in
            isPaused = false
            try? context.channel.syncOptions?.setOption(.autoRead, value: true)
        }
    }

    /// Failures that accepting again at once cannot cure.
    static func needsBackoff(_ error: IOError) -> Bool {
        switch error.errnoCode {
        case EMFILE, ENFILE, ENOBUFS, ENOMEM: true
        default: false
        }
    }

    private func logIfDue(_ error: (any Error)?) {
        let now = NIODeadline.now()
        if let lastLog, now - lastLog < Self.logInterval { return }
        lastLog = now
        if refusedSinceLog > 0 {
            logger.warning("closed \(refusedSinceLog) new client connection(s): listen.max_connections (\(limit.maximum)) are open")
        }
        if let error {
            let pause = Self.acceptBackoff.nanoseconds / 1_000_000
            logger.error(
                "accepting client connections failed \(failuresSinceLog) time(s): \(error); accepting pauses \(pause) ms after each; if descriptors ran out, raise LimitNOFILE or lower listen.max_connections"
            )
        }
        refusedSinceLog = 0
        failuresSinceLog = 0
    }
}
