import NIOCore

/// The body of one answer as it is relayed to a client: applies the answer's
/// ``ClientResponseFraming`` to each part and coalesces small parts with their framing (and with
/// the head while it still waits), handing out the buffers to write.
///
/// The head is not written on its own: it waits for the first body part, so a small answer leaves
/// in one write. Call ``flush(write:)`` when the upstream read that produced the parts is complete,
/// and ``finish(write:)`` at the end of the body.
public struct ClientResponseStream {
    /// Parts up to this size are copied next to their framing rather than written apart.
    public static let coalescedPartLimit = 8192

    public let framing: ClientResponseFraming
    /// Bytes not yet handed out: the head, and small parts appended to it.
    private var pending: ByteBuffer?
    private let allocator: ByteBufferAllocator

    /// Starts a body after `head` (a complete response head, ``ClientResponseWriter/endHead(_:)``
    /// applied).
    public init(head: ByteBuffer, framing: ClientResponseFraming, allocator: ByteBufferAllocator) {
        self.pending = head
        self.framing = framing
        self.allocator = allocator
    }

    /// Frames `part`; what is ready to go out is passed to `write` (not flushed).
    public mutating func append(_ part: ByteBuffer, write: (ByteBuffer) -> Void) {
        switch framing {
        case .contentLength, .closeDelimited:
            if part.readableBytes <= Self.coalescedPartLimit, var out = pending {
                pending = nil
                out.writeImmutableBuffer(part)
                write(out)
            } else {
                flush(write: write)
                write(part)
            }
        case .chunked:
            guard part.readableBytes > 0 else { return }
            if part.readableBytes <= Self.coalescedPartLimit {
                var out = pending ?? allocator.buffer(capacity: part.readableBytes + 24)
                pending = nil
                out.writeString(String(part.readableBytes, radix: 16))
                out.writeStaticString("\r\n")
                out.writeImmutableBuffer(part)
                out.writeStaticString("\r\n")
                write(out)
            } else {
                flush(write: write)
                write(ClientResponseWriter.chunkHeader(size: part.readableBytes, allocator: allocator))
                write(part)
                write(ClientResponseWriter.chunkTrailer)
            }
        case .noBody:
            break
        }
    }

    /// Hands out the head if it is still waiting.
    public mutating func flush(write: (ByteBuffer) -> Void) {
        if let out = pending {
            pending = nil
            write(out)
        }
    }

    /// Ends the body (the last chunk for a chunked body) and hands out what is left.
    public mutating func finish(write: (ByteBuffer) -> Void) {
        guard framing == .chunked else {
            flush(write: write)
            return
        }
        if var out = pending {
            pending = nil
            out.writeImmutableBuffer(ClientResponseWriter.lastChunk)
            write(out)
        } else {
            write(ClientResponseWriter.lastChunk)
        }
    }
}
