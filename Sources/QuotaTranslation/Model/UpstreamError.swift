/// An error as any of the three dialects reports it, in neutral form.
struct UpstreamError: Sendable, Equatable {
    var message: String
    /// HTTP status (Google's `code`); 0 when unknown (an error inside a 200 stream).
    var status: Int
    /// OpenAI `type`, Anthropic `error.type`.
    var type: String?
    /// OpenAI `code` (string or number text), Google `status`.
    var code: String?
    /// Google's `details`, kept for a Google client.
    var details: JSON?
    /// OpenAI `param`.
    var param: String?
    /// The dialect that produced it.
    var source: ChatProtocol?
}
