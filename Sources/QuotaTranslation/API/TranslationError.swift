/// Why a body could not be translated: a client request that cannot be carried to the upstream's
/// protocol (answer the client `httpStatus` 400) or an upstream answer that cannot be read (502).
///
/// The message names the field at fault (a JSON path such as `messages[2].content[0].image_url.url`)
/// and what the client can do about it; it never contains credentials.
public struct TranslationError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The client body is not valid JSON or a field has the wrong type or value.
        case invalidRequest
        /// A field the client sent has no counterpart in the upstream's protocol.
        case unsupportedField
        /// The upstream's answer (or a stream event) is not what its protocol promises.
        case invalidUpstreamAnswer
        /// A single upstream stream event is larger than ``TranslationOptions/maxEventBytes``.
        case eventTooLarge
    }

    /// What went wrong (decides ``httpStatus``).
    public var kind: Kind
    /// The JSON path of the offending field, when there is one.
    public var field: String?
    /// A sentence for the client or the operator.
    public var message: String

    /// An error; `message` should name `field` and say what to do.
    public init(kind: Kind, field: String?, message: String) {
        self.kind = kind
        self.field = field
        self.message = message
    }

    /// The HTTP status the proxy answers with: 400 for the client's request, 502 for the upstream's answer.
    public var httpStatus: Int {
        switch kind {
        case .invalidRequest, .unsupportedField: 400
        case .invalidUpstreamAnswer, .eventTooLarge: 502
        }
    }

    public var description: String { message }

    static func invalid(_ field: String, _ message: String) -> TranslationError {
        TranslationError(kind: .invalidRequest, field: field, message: "\(field): \(message)")
    }

    static func type(_ field: String, expected: String, got value: JSON) -> TranslationError {
        invalid(field, "must be \(expected), not \(value.kindDescription)")
    }

    static func unsupported(_ field: String, _ message: String) -> TranslationError {
        TranslationError(kind: .unsupportedField, field: field, message: "\(field): \(message)")
    }

    static func upstream(_ message: String) -> TranslationError {
        TranslationError(kind: .invalidUpstreamAnswer, field: nil, message: "upstream answer: \(message)")
    }
}
