import Foundation

/// Shared JSON encoding/decoding helpers with the simulator's conventions
/// (sorted keys, no escaped slashes, readable decoding-error messages).
enum JSONCoding {
    /// Encodes a value; encoding the simulator's own types cannot fail, so a failure yields `{}`.
    static func encode(_ value: some Encodable, pretty: Bool = false) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted] : [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)) ?? Data("{}".utf8)
    }

    /// Decodes a value, turning any failure into a `SimulatorError.invalidRequest` with a readable message.
    static func decode<T: Decodable>(_ type: T.Type, from data: Data, what: String) throws(SimulatorError) -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let error as DecodingError {
            throw .invalidRequest("invalid \(what): \(describe(error))")
        } catch {
            throw .invalidRequest("invalid \(what): \(error)")
        }
    }

    /// A one-line, human readable description of a decoding error.
    static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            let rendered = codingPath.map { key in key.intValue.map { "[\($0)]" } ?? key.stringValue }.joined(separator: ".")
            return rendered.isEmpty ? "top level" : "'\(rendered)'"
        }
        switch error {
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)): expected \(type). \(context.debugDescription)"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)): missing value of type \(type)"
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])): required key is missing"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return "body is not valid JSON (\(context.debugDescription))"
            }
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
