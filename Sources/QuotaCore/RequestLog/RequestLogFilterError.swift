/// A request-log filter value that could not be understood; the message lists the accepted forms.
public enum RequestLogFilterError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A `--since` / `--until` value that is neither a duration nor an RFC 3339 time.
    case badTime(String)
    /// A `--status` value that is neither a status code nor a class.
    case badStatus(String)

    public var description: String {
        switch self {
        case .badTime(let text):
            "\"\(text)\" is not a time: use a duration back from now such as 30s, 15m, 1h or 2d, or an RFC 3339 time such as 2026-11-22T16:00:00Z"
        case .badStatus(let text):
            "\"\(text)\" is not a status: use an HTTP status such as 429 or 503, or a class such as 2xx, 4xx or 5xx"
        }
    }
}
