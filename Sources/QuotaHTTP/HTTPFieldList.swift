import NIOCore
import NIOHTTP1

/// The header fields of a parsed head: its bytes and where each name and value is in them.
///
/// Nothing is decoded into strings until asked: a relay copies the fields it forwards as bytes
/// (``forEach(_:)``), ``first(name:)`` decodes one value, and ``headers`` builds an
/// `HTTPHeaders` for callers that want all of them.
public struct HTTPFieldList: Sendable {
    /// The bytes of the head the positions point into.
    let bytes: ByteBuffer
    let positions: [HTTPFieldPosition]

    /// Fields found by a parser: `positions` are offsets from `bytes`' reader index.
    public init(bytes: ByteBuffer, positions: [HTTPFieldPosition]) {
        self.bytes = bytes
        self.positions = positions
    }

    /// Fields from decoded values (tests, simulated peers), encoded as `name: value` lines.
    public init(_ headers: HTTPHeaders) {
        var bytes = ByteBuffer()
        var positions: [HTTPFieldPosition] = []
        for (name, value) in headers {
            let nameStart = bytes.writerIndex
            let nameLength = bytes.writeString(name)
            bytes.writeStaticString(": ")
            let valueStart = bytes.writerIndex
            let valueLength = bytes.writeString(value)
            bytes.writeStaticString("\r\n")
            positions.append(HTTPFieldPosition(name: nameStart..<(nameStart + nameLength), value: valueStart..<(valueStart + valueLength)))
        }
        self.init(bytes: bytes, positions: positions)
    }

    /// The number of fields.
    public var count: Int { positions.count }

    /// Calls `body` with each field's name and value bytes (valid only during the call), in order.
    public func forEach(_ body: (_ name: UnsafeBufferPointer<UInt8>, _ value: UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        try bytes.withUnsafeReadableBytes { raw in
            let base = raw.bindMemory(to: UInt8.self)
            for field in positions {
                try body(UnsafeBufferPointer(rebasing: base[field.name]), UnsafeBufferPointer(rebasing: base[field.value]))
            }
        }
    }

    /// The first value of the field `name` (a lower-case literal; compared ignoring ASCII case).
    public func first(name: StaticString) -> String? {
        bytes.withUnsafeReadableBytes { raw -> String? in
            let base = raw.bindMemory(to: UInt8.self)
            for field in positions where HTTPHeadScanner.equalsLowercase(UnsafeBufferPointer(rebasing: base[field.name]), name) {
                return String(decoding: UnsafeBufferPointer(rebasing: base[field.value]), as: UTF8.self)
            }
            return nil
        }
    }

    /// The fields as NIO's `HTTPHeaders` (built on each call).
    public var headers: HTTPHeaders {
        var headers = HTTPHeaders()
        headers.reserveCapacity(positions.count)
        forEach { name, value in
            headers.add(name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self))
        }
        return headers
    }
}
