import Foundation
import NIOCore
import NIOFoundationCompat
import QuotaCore

/// JSON ⇄ one line of the control protocol.
enum ControlLineCodec {
    static func decode(_ line: ByteBuffer) throws(ControlError) -> JSONValue {
        do {
            return try JSONDecoder().decode(JSONValue.self, from: line)
        } catch {
            throw ControlError(code: .malformedRequest, message: "the line is not valid JSON")
        }
    }

    static func encode(_ value: JSONValue, allocator: ByteBufferAllocator) -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var buffer = (try? encoder.encodeAsByteBuffer(value, allocator: allocator))
            ?? allocator.buffer(string: #"{"ok":false,"error":{"code":"internal","message":"could not encode the answer"}}"#)
        buffer.writeInteger(UInt8(ascii: "\n"))
        return buffer
    }
}
