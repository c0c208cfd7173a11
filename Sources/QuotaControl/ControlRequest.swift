import QuotaCore

/// One line a client sends on a control socket: `{"id":1,"cmd":"warmup","account":"acc-1"}`.
///
/// `id` is echoed back unchanged (any JSON value); `cmd` names the command; every other top-level
/// key is an argument of the command.
public struct ControlRequest: Sendable, Equatable {
    public var id: JSONValue
    public var command: String
    public var arguments: [String: JSONValue]

    public init(id: JSONValue = .null, command: String, arguments: [String: JSONValue] = [:]) {
        self.id = id
        self.command = command
        self.arguments = arguments
    }

    /// The JSON object sent on the wire.
    public var json: JSONValue {
        var object = arguments
        object["id"] = id
        object["cmd"] = .string(command)
        return .object(object)
    }

    /// Decodes a request from a parsed line; the error says what is wrong with it.
    public init(json: JSONValue) throws(ControlError) {
        guard case .object(var object) = json else {
            throw ControlError(code: .malformedRequest, message: "a request must be a JSON object like {\"id\":1,\"cmd\":\"status\"}")
        }
        let id = object.removeValue(forKey: "id") ?? .null
        guard let command = object.removeValue(forKey: "cmd") else {
            throw ControlError(code: .malformedRequest, message: "the request has no \"cmd\" key", id: id)
        }
        guard case .string(let name) = command, !name.isEmpty else {
            throw ControlError(code: .malformedRequest, message: "\"cmd\" must be a non-empty string", id: id)
        }
        self.init(id: id, command: name, arguments: object)
    }

    /// A string argument, or `nil` when absent; a value of another type is an error naming the key.
    public func string(_ key: String) throws(ControlError) -> String? {
        guard let value = arguments[key], value != .null else { return nil }
        guard case .string(let string) = value else {
            throw ControlError(code: .invalidArgument, message: "argument \"\(key)\" of \(command) must be a string")
        }
        return string
    }

    /// A required string argument.
    public func requiredString(_ key: String) throws(ControlError) -> String {
        guard let value = try string(key), !value.isEmpty else {
            throw ControlError(code: .invalidArgument, message: "\(command) needs the argument \"\(key)\"")
        }
        return value
    }

    /// An account id argument, or `nil` when absent; an id of the wrong shape is an
    /// `invalid_argument` error naming the id and the allowed shape (``InvalidAccountID``), so no
    /// command ever builds a path from it.
    public func accountID(_ key: String = "account") throws(ControlError) -> String? {
        guard let id = try string(key) else { return nil }
        do {
            try InvalidAccountID.check(id)
        } catch {
            throw ControlError(code: .invalidArgument, message: "argument \"\(key)\" of \(command): \(error)")
        }
        return id
    }

    /// A required account id argument (see ``accountID(_:)``).
    public func requiredAccountID(_ key: String = "account") throws(ControlError) -> String {
        guard let id = try accountID(key), !id.isEmpty else {
            throw ControlError(code: .invalidArgument, message: "\(command) needs the argument \"\(key)\"")
        }
        return id
    }
}
