import NIOCore

/// One frame of a control connection.
enum ControlFrame: Sendable {
    /// A complete line, without its `\n` (or `\r\n`).
    case line(ByteBuffer)
    /// A line longer than the limit; its bytes were discarded up to and including its newline.
    case tooLong
}

/// Splits the byte stream of a control connection into lines, refusing lines longer than a limit
/// so a client cannot make the service buffer without bound. An oversized line is skipped (and
/// reported as ``ControlFrame/tooLong``) while the connection stays usable.
struct NewlineFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ControlFrame

    let maximumLength: Int
    private var scanned = 0
    private var discarding = false

    init(maximumLength: Int) {
        self.maximumLength = maximumLength
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let view = buffer.readableBytesView
        guard let newline = view.dropFirst(scanned).firstIndex(of: UInt8(ascii: "\n")) else {
            scanned = view.count
            if scanned > maximumLength {
                if !discarding {
                    discarding = true
                    context.fireChannelRead(Self.wrapInboundOut(.tooLong))
                }
                buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
                scanned = 0
            }
            return .needMoreData
        }
        let length = newline - view.startIndex
        var line = buffer.readSlice(length: length)!
        buffer.moveReaderIndex(forwardBy: 1)
        scanned = 0
        if discarding {
            discarding = false
            return .continue
        }
        if length > maximumLength {
            context.fireChannelRead(Self.wrapInboundOut(.tooLong))
            return .continue
        }
        // Tolerate CRLF from hand-typed clients (socat, nc).
        if line.readableBytesView.last == UInt8(ascii: "\r") {
            line = line.getSlice(at: line.readerIndex, length: line.readableBytes - 1)!
        }
        context.fireChannelRead(Self.wrapInboundOut(.line(line)))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A last line without a trailing newline still counts.
        if try decode(context: context, buffer: &buffer) == .continue { return .continue }
        if buffer.readableBytes > 0, !discarding, let line = buffer.readSlice(length: buffer.readableBytes) {
            scanned = 0
            context.fireChannelRead(Self.wrapInboundOut(.line(line)))
        }
        return .needMoreData
    }
}
