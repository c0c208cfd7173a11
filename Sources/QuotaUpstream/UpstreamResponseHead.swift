import NIOCore
import NIOHTTP1
import QuotaHTTP

/// The head of an upstream response, as ``HTTPResponseParser`` read it: status, version and the
/// header fields as positions in the head's bytes.
///
/// Nothing is decoded into strings until asked: a relay copies the fields it forwards as bytes
/// (``forEachField(_:)``), and ``headers`` builds an `HTTPHeaders` for callers that want one.
public struct UpstreamResponseHead: Sendable {
    /// The status code (and reason phrase, for codes NIO does not know).
    public var status: HTTPResponseStatus
    /// The HTTP version of the status line.
    public var version: HTTPVersion
    /// The bytes of the head (status line and header lines).
    let bytes: ByteBuffer
    /// Where each field's name and value are in ``bytes`` (offsets from its reader index).
    let fields: [HTTPFieldPosition]

    init(status: HTTPResponseStatus, version: HTTPVersion, bytes: ByteBuffer, fields: [HTTPFieldPosition]) {
        self.status = status
        self.version = version
        self.bytes = bytes
        self.fields = fields
    }

    /// A head built from decoded values (tests, simulated upstreams).
    public init(status: HTTPResponseStatus, version: HTTPVersion = .http1_1, headers: HTTPHeaders = [:]) {
        var bytes = ByteBuffer()
        var fields: [HTTPFieldPosition] = []
        for (name, value) in headers {
            let nameStart = bytes.writerIndex
            let nameLength = bytes.writeString(name)
            bytes.writeStaticString(": ")
            let valueStart = bytes.writerIndex
            let valueLength = bytes.writeString(value)
            bytes.writeStaticString("\r\n")
            fields.append(HTTPFieldPosition(name: nameStart..<(nameStart + nameLength), value: valueStart..<(valueStart + valueLength)))
        }
        self.init(status: status, version: version, bytes: bytes, fields: fields)
    }

    /// The number of header fields.
    public var fieldCount: Int { fields.count }

    /// Calls `body` with each field's name and value bytes (valid only during the call), in order.
    public func forEachField(_ body: (_ name: UnsafeBufferPointer<UInt8>, _ value: UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        try bytes.withUnsafeReadableBytes { raw in
            let base = raw.bindMemory(to: UInt8.self)
            for field in fields {
                try body(UnsafeBufferPointer(rebasing: base[field.name]), UnsafeBufferPointer(rebasing: base[field.value]))
            }
        }
    }

    /// The header fields as NIO's `HTTPHeaders` (built on each call).
    public var headers: HTTPHeaders {
        var headers = HTTPHeaders()
        headers.reserveCapacity(fields.count)
        forEachField { name, value in
            headers.add(name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self))
        }
        return headers
    }

    /// The first value of the field `name` (compared without regard to ASCII case).
    public func first(name: String) -> String? {
        var found: String?
        let wanted = Array(name.utf8)
        forEachField { fieldName, value in
            guard found == nil, fieldName.count == wanted.count else { return }
            for index in 0..<wanted.count where HTTPHeadScanner.lower(fieldName[index]) != HTTPHeadScanner.lower(wanted[index]) {
                return
            }
            found = String(decoding: value, as: UTF8.self)
        }
        return found
    }
}
