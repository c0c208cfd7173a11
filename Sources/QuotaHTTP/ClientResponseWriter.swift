import NIOCore
import NIOHTTP1

/// The proxy's HTTP/1.1 response encoder: response heads and body framing written straight into
/// bytes, in place of NIO's `HTTPResponseEncoder` (which would need an `HTTPHeaders` copy of every
/// upstream header first). Header names and values come from the proxy's own parsers
/// (``HTTPRequestParser``, `HTTPResponseParser`: token names, no CR, LF or NUL in values) or from
/// the proxy itself.
public enum ClientResponseWriter {
    /// Starts a head: the status line. Add fields with ``addField(_:_:to:)`` and end it with
    /// ``endHead(_:)``.
    public static func startHead(status: HTTPResponseStatus, allocator: ByteBufferAllocator, capacity: Int = 256) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: capacity)
        if status.code == 200 {
            buffer.writeStaticString("HTTP/1.1 200 OK\r\n")
        } else {
            buffer.writeStaticString("HTTP/1.1 ")
            buffer.writeString(String(status.code))
            buffer.writeStaticString(" ")
            buffer.writeString(status.reasonPhrase)
            buffer.writeStaticString("\r\n")
        }
        return buffer
    }

    public static func addField(_ name: String, _ value: String, to buffer: inout ByteBuffer) {
        buffer.writeString(name)
        buffer.writeStaticString(": ")
        buffer.writeString(value)
        buffer.writeStaticString("\r\n")
    }

    public static func endHead(_ buffer: inout ByteBuffer) {
        buffer.writeStaticString("\r\n")
    }

    /// A complete response with a fixed body.
    public static func complete(
        status: HTTPResponseStatus, contentType: String, body: [UInt8], extraHeaders: [(String, String)], close: Bool,
        allocator: ByteBufferAllocator
    ) -> ByteBuffer {
        var buffer = startHead(status: status, allocator: allocator, capacity: 160 + body.count)
        addField("content-type", contentType, to: &buffer)
        addField("content-length", String(body.count), to: &buffer)
        for (name, value) in extraHeaders { addField(name, value, to: &buffer) }
        if close { buffer.writeStaticString("connection: close\r\n") }
        endHead(&buffer)
        buffer.writeBytes(body)
        return buffer
    }

    /// The line that opens a chunk of `size` bytes (`1a2b\r\n`).
    public static func chunkHeader(size: Int, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 18)
        buffer.writeString(String(size, radix: 16))
        buffer.writeStaticString("\r\n")
        return buffer
    }

    /// The CRLF that closes a chunk.
    public static let chunkTrailer = ByteBuffer(string: "\r\n")
    /// The last chunk of a chunked body (no trailers).
    public static let lastChunk = ByteBuffer(string: "0\r\n\r\n")
    /// The interim answer to `Expect: 100-continue`.
    public static let continueResponse = ByteBuffer(string: "HTTP/1.1 100 Continue\r\n\r\n")
}
