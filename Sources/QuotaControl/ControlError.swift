import QuotaCore

/// An error answered on a control socket: `{"id":1,"ok":false,"error":{"code":"...","message":"..."}}`.
public struct ControlError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable, machine-readable error codes.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The line is not JSON, or not a request object.
        public static let malformedRequest = Code(rawValue: "malformed_request")
        /// No such command; the message lists the known ones.
        public static let unknownCommand = Code(rawValue: "unknown_command")
        /// An argument is missing or has the wrong type.
        public static let invalidArgument = Code(rawValue: "invalid_argument")
        /// The named account, model or entry does not exist.
        public static let notFound = Code(rawValue: "not_found")
        /// The peer is not allowed to use this socket.
        public static let permissionDenied = Code(rawValue: "permission_denied")
        /// The request line exceeded the size limit.
        public static let requestTooLarge = Code(rawValue: "request_too_large")
        /// No complete request line arrived in time; the connection is closed.
        public static let timedOut = Code(rawValue: "timeout")
        /// The command ran and failed (e.g. the upstream refused a warmup).
        public static let failed = Code(rawValue: "failed")
        /// Something this service depends on is not available (e.g. the proxy is not running).
        public static let unavailable = Code(rawValue: "unavailable")
        /// A bug: the message says what happened.
        public static let internalError = Code(rawValue: "internal")

        public var description: String { rawValue }
    }

    public var code: Code
    public var message: String
    /// The request id, when known, so the answer can echo it.
    public var id: JSONValue

    public init(code: Code, message: String, id: JSONValue = .null) {
        self.code = code
        self.message = message
        self.id = id
    }

    public var description: String { "\(code): \(message)" }
}
