import NIOCore

/// The bytes a parser could not use yet (an incomplete head or line), kept until the next read.
public struct PendingBytes: Sendable {
    private var kept: ByteBuffer?

    public init() {}

    /// What is kept followed by `input` (just `input` when nothing is kept); forgets what was kept.
    public mutating func combined(with input: ByteBuffer) -> ByteBuffer {
        guard var buffer = kept else { return input }
        kept = nil
        buffer.writeImmutableBuffer(input)
        return buffer
    }

    /// Keeps the readable bytes of `buffer` (if any) for the next read.
    public mutating func keep(_ buffer: ByteBuffer) {
        kept = buffer.readableBytes > 0 ? buffer : nil
    }

    /// How many bytes are kept.
    public var count: Int { kept?.readableBytes ?? 0 }

    public mutating func clear() {
        kept = nil
    }
}
