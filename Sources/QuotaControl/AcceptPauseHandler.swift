import Logging
import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// The first handler of a control socket's listening channel: closes a connection as soon as it
/// is accepted when ``ControlConnectionLimit/maximum`` are open, counts failed `accept`s and, when
/// one failed for want of descriptors or memory (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`), stops
/// accepting for ``pause``.
///
/// Why not NIO's `AcceptBackoffHandler` (which `ServerBootstrap` adds after this one): it delays
/// the next `read()`, but when the first `accept` of a read cycle fails NIO's server channel keeps
/// its read pending and stays registered for readability, so with connections waiting in the
/// backlog the listener wakes up and fails again at once, in a busy loop that takes a whole core
/// for as long as descriptors are out. Turning `autoRead` off removes the readability interest;
/// turning it back on after the pause re-arms it. (The proxy's HTTP listener does the same in its
/// `ConnectionGateHandler`.)
final class AcceptPauseHandler: ChannelInboundHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel

    /// How long accepting pauses after it failed for want of descriptors or memory.
    static let pause = TimeAmount.milliseconds(250)
    /// Failed accepts are logged at most this often.
    static let logInterval = TimeAmount.seconds(10)

    private let failures: AcceptFailureCounter
    private let limit: ControlConnectionLimit
    private let path: String
    private let logger: Logger
    private var isPaused = false
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
        guard limit.admit() else {
            // Not initialised yet (that happens after this handler): nothing to answer with.
            accepted.close(promise: nil)
            refusedSinceLog += 1
            let now = NIODeadline.now()
            if lastRefusalLog.map({ now - $0 >= Self.logInterval }) ?? true {
                lastRefusalLog = now
                logger.warning(
                    "closed \(refusedSinceLog) new control connection(s): \(limit.maximum) are open; a client is not closing its connections",
                    metadata: ["socket": "\(path)"])
                refusedSinceLog = 0
            }
            return
        }
        let limit = self.limit
        accepted.closeFuture.whenComplete { _ in limit.release() }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let ioError = error as? IOError, Self.needsPause(ioError) else {
            context.fireErrorCaught(error)
            return
        }
        // Ends here: the listener keeps running, and NIO's AcceptBackoffHandler never sees it.
        failures.add()
        failuresSinceLog += 1
        logIfDue(ioError)
        guard !isPaused else { return }
        isPaused = true
        try? context.channel.syncOptions?.setOption(.autoRead, value: false)
        context.eventLoop.assumeIsolated().scheduleTask(in: Self.pause) { [self] in
            isPaused = false
            try? context.channel.syncOptions?.setOption(.autoRead, value: true)
        }
    }

    /// Failures that accepting again at once cannot cure.
    static func needsPause(_ error: IOError) -> Bool {
        switch error.errnoCode {
        case EMFILE, ENFILE, ENOBUFS, ENOMEM: true
        default: false
        }
    }

    private func logIfDue(_ error: IOError) {
        let now = NIODeadline.now()
        if let lastLog, now - lastLog < Self.logInterval { return }
        lastLog = now
        logger.error(
            "accepting connections on the control socket failed \(failuresSinceLog) time(s): \(error); accepting pauses \(Self.pause.nanoseconds / 1_000_000) ms after each; if descriptors ran out, raise LimitNOFILE",
            metadata: ["socket": "\(path)"])
        failuresSinceLog = 0
    }
}
