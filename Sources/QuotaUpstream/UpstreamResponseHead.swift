import NIOCore
import NIOHTTP1
import QuotaHTTP

/// The head of an upstream response, as ``HTTPResponseParser`` read it: status, version and the
/// header fields as positions in the head's bytes (``fields``: nothing is decoded into strings
/// until asked).
public struct UpstreamResponseHead: Sendable {
    /// The status code (and reason phrase, for codes NIO does not know).
    public var status: HTTPResponseStatus
    /// The HTTP version of the status line.
    public var version: HTTPVersion
    /// The header fields, read on demand.
    public let fields: HTTPFieldList

    init(status: HTTPResponseStatus, version: HTTPVersion, fields: HTTPFieldList) {
        self.status = status
        self.version = version
        self.fields = fields
    }

    /// A head built from decoded values (tests, simulated upstreams).
    public init(status: HTTPResponseStatus, version: HTTPVersion = .http1_1, headers: HTTPHeaders = [:]) {
        self.init(status: status, version: version, fields: HTTPFieldList(headers))
    }

    /// The header fields as NIO's `HTTPHeaders` (built on each call).
    public var headers: HTTPHeaders { fields.headers }
}
