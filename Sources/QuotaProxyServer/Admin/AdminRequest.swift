import NIOCore
import NIOHTTP1
import QuotaHTTP

/// One request to the dashboard or the admin API, copied off the connection's state so it can be
/// answered on another thread.
struct AdminRequest: Sendable {
    var method: String
    /// The path, without the query.
    var path: String
    /// The query string, without the `?` (empty for none).
    var query: String
    var authorization: String?
    var apiKey: String?
    /// The request body (`nil` for none).
    var body: [UInt8]?

    init(method: String, path: String, query: String = "", authorization: String? = nil, apiKey: String? = nil, body: [UInt8]? = nil) {
        self.method = method
        self.path = path
        self.query = query
        self.authorization = authorization
        self.apiKey = apiKey
        self.body = body
    }

    init(head: ParsedRequestHead, body: ByteBuffer?) {
        let uri = head.uri
        if let mark = uri.firstIndex(of: "?") {
            path = String(uri[..<mark])
            query = String(uri[uri.index(after: mark)...])
        } else {
            path = uri
            query = ""
        }
        method = head.method.rawValue
        authorization = head.fields.first(name: "authorization")
        apiKey = head.fields.first(name: "x-api-key")
        self.body = body.map { Array($0.readableBytesView) }
    }
}
