import Foundation

extension RequestLogFilter {
    /// A `--status` criterion: an exact HTTP status (`429`) or a class (`4xx`, `5xx`, `2xx`).
    public enum StatusMatch: Sendable, Equatable, CustomStringConvertible {
        /// Exactly this status.
        case exact(Int)
        /// Any status of this hundred: `.statusClass(5)` is `5xx`.
        case statusClass(Int)

        /// Parses `429`, `5xx`, `4XX`.
        public init(parsing text: String) throws(RequestLogFilterError) {
            let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
            let bytes = Array(trimmed.utf8)
            guard bytes.count == 3, let first = bytes.first, (0x31...0x35).contains(first) else { throw .badStatus(text) }
            if bytes[1] == UInt8(ascii: "x") && bytes[2] == UInt8(ascii: "x") {
                self = .statusClass(Int(first - 0x30))
            } else if let code = Int(trimmed) {
                self = .exact(code)
            } else {
                throw .badStatus(text)
            }
        }

        public func matches(_ status: Int) -> Bool {
            switch self {
            case .exact(let code): status == code
            case .statusClass(let hundred): status / 100 == hundred
            }
        }

        public var description: String {
            switch self {
            case .exact(let code): String(code)
            case .statusClass(let hundred): "\(hundred)xx"
            }
        }
    }
}
