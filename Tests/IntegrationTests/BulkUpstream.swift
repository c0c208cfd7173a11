import Foundation
import NIOCore
import NIOPosix

/// An upstream for large and fast answers: it ignores the request body and answers from the
/// query of the request target, writing as fast as its socket takes it.
///
/// | query | answer |
/// |---|---|
/// | `size=N&framing=length` | 200, N bytes of ``pattern``, `Content-Length`, written in one piece |
/// | `size=N&framing=chunked` | the same bytes in 16 KiB chunks, written back to back, one flush |
/// | `events=N` | 200 `text/event-stream`, N events (``event(_:)``), each written and flushed on its own |
final class BulkUpstream: Sendable {
    let channel: any Channel

    var port: Int { channel.localAddress?.port ?? 0 }
    var url: String { "http://127.0.0.1:\(port)" }

    /// The largest answer served.
    static let maximumSize = 48 << 20

    /// The body bytes: printable ASCII in a pattern that repeats only every 11,797 bytes, so a
    /// byte lost, doubled or moved shows.
    static let pattern: ByteBuffer = {
        let period = (0..<(251 * 47)).map { (index: Int) -> UInt8 in
            let value: Int = (index * 7 + index / 251) % 94
            return UInt8(0x21 + value)
        }
        var buffer = ByteBuffer()
        buffer.reserveCapacity(maximumSize)
        while buffer.readableBytes < maximumSize {
            buffer.writeBytes(period.prefix(maximumSize - buffer.readableBytes))
        }
        return buffer
    }()

    /// The first `size` bytes of ``pattern``: what an answer of that size holds.
    static func body(size: Int) -> ByteBuffer {
        pattern.getSlice(at: pattern.readerIndex, length: size)!
    }

    static func event(_ index: Int) -> String {
        #"data: {"id":"evt-\#(index)","choices":[{"delta":{"content":"token \#(index) "}}]}"# + "\n\n"
    }

    /// Events 0..<10,000 in chunked framing, one buffer each, made once.
    static let chunkedEvents: [ByteBuffer] = (0..<10_000).map { index in
        let event = event(index)
        return ByteBuffer(string: String(event.utf8.count, radix: 16) + "\r\n" + event + "\r\n")
    }

    /// The whole stream of `count` events, as a client receives it.
    static func stream(events count: Int) -> ByteBuffer {
        var buffer = ByteBuffer()
        for index in 0..<count { buffer.writeString(event(index)) }
        return buffer
    }

    private init(channel: any Channel) {
        self.channel = channel
    }

    static func start() async throws -> BulkUpstream {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Handler())
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return BulkUpstream(channel: channel)
    }

    func stop() async {
        try? await channel.close()
    }

    /// Reads requests as raw bytes (request line, `Content-Length`, body skipped) and writes the
    /// answers as raw bytes, with no HTTP codec in between: a debug build of one would be the
    /// slowest part of the test.
    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        private var buffered = ByteBuffer()
        private var bodyToSkip = 0

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var input = unwrapInboundIn(data)
            buffered.writeBuffer(&input)
            while true {
                if bodyToSkip > 0 {
                    let skipped = min(bodyToSkip, buffered.readableBytes)
                    buffered.moveReaderIndex(forwardBy: skipped)
                    bodyToSkip -= skipped
                    if bodyToSkip > 0 { return }
                }
                let view = buffered.readableBytesView
                guard let end = view.firstRange(of: Array("\r\n\r\n".utf8)) else { return }
                let head = String(decoding: view[view.startIndex..<end.upperBound], as: UTF8.self)
                buffered.moveReaderIndex(to: end.upperBound)
                let lines = head.components(separatedBy: "\r\n")
                let target = lines.first?.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
                var keepAlive = true
                for line in lines.dropFirst() {
                    let lower = line.lowercased()
                    if lower.hasPrefix("content-length:") {
                        bodyToSkip = Int(lower.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
                    } else if lower.hasPrefix("connection:") && lower.contains("close") {
                        keepAlive = false
                    }
                }
                respond(to: target, keepAlive: keepAlive, context: context)
            }
        }

        private func respond(to target: String, keepAlive: Bool, context: ChannelHandlerContext) {
            var query: [String: String] = [:]
            if let start = target.firstIndex(of: "?") {
                for pair in target[target.index(after: start)...].split(separator: "&") {
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    if parts.count == 2 { query[String(parts[0])] = String(parts[1]) }
                }
            }
            let connection = keepAlive ? "" : "connection: close\r\n"
            if let events = query["events"].flatMap(Int.init) {
                write(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\(connection)\r\n",
                    context: context)
                for index in 0..<min(events, BulkUpstream.chunkedEvents.count) {
                    context.writeAndFlush(wrapOutboundOut(BulkUpstream.chunkedEvents[index]), promise: nil)
                }
                write("0\r\n\r\n", context: context)
            } else {
                var body = BulkUpstream.body(size: min(query["size"].flatMap(Int.init) ?? 0, BulkUpstream.maximumSize))
                if query["framing"] == "chunked" {
                    write(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ntransfer-encoding: chunked\r\n\(connection)\r\n",
                        context: context)
                    while body.readableBytes > 0 {
                        let piece = body.readSlice(length: min(16 << 10, body.readableBytes))!
                        write(String(piece.readableBytes, radix: 16) + "\r\n", context: context)
                        context.write(wrapOutboundOut(piece), promise: nil)
                        write("\r\n", context: context)
                    }
                    write("0\r\n\r\n", context: context)
                } else {
                    write(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: \(body.readableBytes)\r\n\(connection)\r\n",
                        context: context)
                    context.write(wrapOutboundOut(body), promise: nil)
                }
            }
            context.flush()
            if !keepAlive {
                context.writeAndFlush(wrapOutboundOut(ByteBuffer())).assumeIsolated().whenComplete { _ in
                    context.close(promise: nil)
                }
            }
        }

        private func write(_ text: String, context: ChannelHandlerContext) {
            context.write(wrapOutboundOut(context.channel.allocator.buffer(string: text)), promise: nil)
        }

    }
}
