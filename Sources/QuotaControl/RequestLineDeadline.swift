import NIOCore
import QuotaCore

/// Closes a control connection that does not finish its request line in time.
///
/// A client must send a complete line within the timeout, counted from when the connection opens
/// or its previous answer was written. While a request is being answered (a warmup may take
/// minutes) no deadline runs. When the deadline passes, the client gets a `timeout` error answer
/// and the connection is closed, so a client that connects and stalls (or trickles bytes without a
/// line break) cannot hold a connection, and with it a shutdown, open for ever.
///
/// Sits after ``NewlineFrameDecoder``: each ``ControlFrame`` it passes on is one request, and the
/// server writes exactly one buffer per answer.
final class RequestLineDeadline: ChannelDuplexHandler {
    typealias InboundIn = ControlFrame
    typealias InboundOut = ControlFrame
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let timeout: TimeAmount
    /// Requests read whose answer was not written yet.
    private var unanswered = 0
    private var deadline: Scheduled<Void>?
    private var expired = false

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        disarm()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !expired else { return }
        unanswered += 1
        disarm()
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        context.write(data, promise: promise)
        unanswered = max(0, unanswered - 1)
        if unanswered == 0 { arm(context: context) }
    }

    private func arm(context: ChannelHandlerContext) {
        guard deadline == nil, !expired, context.channel.isActive else { return }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: timeout) {
            let (handler, context) = loopBound.value
            handler.expire(context: context)
        }
    }

    private func disarm() {
        deadline?.cancel()
        deadline = nil
    }

    private func expire(context: ChannelHandlerContext) {
        deadline = nil
        guard !expired, unanswered == 0 else { return }
        expired = true
        let error = ControlError(
            code: .timedOut,
            message: "no complete request line within \(Self.text(timeout)); send one JSON object per line, ending in a line break")
        let answer = ControlLineCodec.encode(ControlResponse(id: .null, outcome: .failure(error)).json, allocator: context.channel.allocator)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(answer)).whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    /// `10 s`, `0.3 s`.
    static func text(_ amount: TimeAmount) -> String {
        let nanoseconds = amount.nanoseconds
        if nanoseconds % 1_000_000_000 == 0 { return "\(nanoseconds / 1_000_000_000) s" }
        return "\(Double(nanoseconds) / 1e9) s"
    }
}
