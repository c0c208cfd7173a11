/// Why a quota source's answer could not be turned into quota figures. Every message names the
/// field at fault (as a path such as `models.gpt-4o.quotaInfo.remainingFraction` or
/// `models[2].percentage`) and never contains credentials.
public enum QuotaSnapshotError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The body is not JSON at all (empty, HTML error page, truncated...).
    case notJSON(bodySize: Int)
    /// A field has the wrong JSON type.
    case wrongType(path: String, expected: String, got: String)
    /// A required field is absent (or null).
    case missingField(path: String)
    /// A number is outside its range.
    case outOfRange(path: String, value: Double, range: ClosedRange<Double>)
    /// A time string is not RFC 3339.
    case invalidTime(path: String, value: String)
    /// A model name is empty.
    case emptyModelName(path: String)
    /// The same model is listed twice.
    case duplicateModel(path: String, name: String)
    /// The quota source kind is not fetched (the `headers` source has no endpoint).
    case unsupportedSource(QuotaSource.Kind)

    /// The field path at fault, when there is one.
    public var path: String? {
        switch self {
        case .wrongType(let path, _, _), .missingField(let path), .outOfRange(let path, _, _),
            .invalidTime(let path, _), .emptyModelName(let path), .duplicateModel(let path, _):
            path
        case .notJSON, .unsupportedSource:
            nil
        }
    }

    public var description: String {
        switch self {
        case .notJSON(let size):
            return size == 0 ? "answer is empty, expected a JSON object" : "answer is not valid JSON (\(size) bytes)"
        case .wrongType(let path, let expected, let got):
            return "\(path) must be \(expected), got \(got)"
        case .missingField(let path):
            return "\(path) is missing"
        case .outOfRange(let path, let value, let range):
            return "\(path) must be between \(Self.number(range.lowerBound)) and \(Self.number(range.upperBound)), got \(Self.number(value))"
        case .invalidTime(let path, let value):
            let shown = value.count > 64 ? String(value.prefix(64)) + "…" : value
            return "\(path) must be an RFC 3339 time, got \"\(shown)\""
        case .emptyModelName(let path):
            return "\(path) must be a non-empty model name"
        case .duplicateModel(let path, let name):
            return "\(path) lists model \(name) a second time"
        case .unsupportedSource(let kind):
            return "quota source \(kind.rawValue) has no endpoint to parse"
        }
    }

    private static func number(_ value: Double) -> String {
        if value.rounded() == value, abs(value) < 1e15 { return String(Int64(value)) }
        return String(describing: value)
    }
}
