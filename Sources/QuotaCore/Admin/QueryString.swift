/// The parameters of a URL query string (`since=1h&status=5xx`), percent-decoded, `+` read as a
/// space; bounded so a hostile query cannot cost much.
public struct QueryString: Sendable, Equatable {
    /// The parameters in order; a name may repeat.
    public var items: [(name: String, value: String)]

    /// Queries longer than this are refused.
    public static let maximumBytes = 4096
    /// More parameters than this are refused.
    public static let maximumItems = 32

    /// Why a query could not be read.
    public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        case tooLong
        case tooManyItems
        case badEncoding(String)

        public var description: String {
            switch self {
            case .tooLong: "the query string is longer than \(QueryString.maximumBytes) bytes"
            case .tooManyItems: "the query string has more than \(QueryString.maximumItems) parameters"
            case .badEncoding(let part): "the query parameter \"\(part)\" is not valid percent-encoded UTF-8"
            }
        }
    }

    /// Parses the part after `?` (without the `?`; empty for none).
    public init(parsing query: Substring) throws(Problem) {
        guard query.utf8.count <= Self.maximumBytes else { throw .tooLong }
        var items: [(String, String)] = []
        for part in query.split(separator: "&", omittingEmptySubsequences: true) {
            guard items.count < Self.maximumItems else { throw .tooManyItems }
            let pair = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(pair[0]), let value = Self.decode(pair.count > 1 ? pair[1] : "") else {
                throw .badEncoding(String(part.prefix(64)))
            }
            items.append((name, value))
        }
        self.items = items
    }

    /// The last value of `name` (a later parameter wins), `nil` when absent or empty.
    public subscript(name: String) -> String? {
        guard let value = items.last(where: { $0.name == name })?.value, !value.isEmpty else { return nil }
        return value
    }

    /// The names present, in order.
    public var names: [String] { items.map(\.name) }

    /// `%XX` decoded and `+` as space; `nil` for a bad escape or invalid UTF-8.
    public static func decode(_ text: Substring) -> String? {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else { return String(text) }
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(0x20)
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
                bytes.append(high << 4 | low)
            default: bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }

    public static func == (lhs: QueryString, rhs: QueryString) -> Bool {
        lhs.items.elementsEqual(rhs.items) { $0.name == $1.name && $0.value == $1.value }
    }
}
