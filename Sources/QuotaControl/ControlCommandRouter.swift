import QuotaCore

/// The commands a service answers on its control socket.
///
/// Each service registers its commands; `help` (the list) and `ping` are built in. A command's
/// body returns its result as JSON or throws a ``ControlError``; any other error becomes an
/// `internal` error whose message is the error's description (which must never hold a secret).
public struct ControlCommandRouter: Sendable {
    public typealias Handler = @Sendable (ControlRequest) async throws -> JSONValue

    struct Command: Sendable {
        var summary: String
        var handler: Handler
    }

    private var commands: [String: Command] = [:]

    public init() {
        register("ping", summary: "answers {\"pong\":true}") { _ in ["pong": true] }
    }

    /// Adds (or replaces) a command.
    public mutating func register(_ name: String, summary: String, handler: @escaping Handler) {
        commands[name] = Command(summary: summary, handler: handler)
    }

    public var commandNames: [String] {
        (Array(commands.keys) + ["help"]).sorted()
    }

    /// Runs one request and produces its answer; never throws.
    public func respond(to request: ControlRequest) async -> ControlResponse {
        if request.command == "help" {
            let list = commands.sorted { $0.key < $1.key }.map { (name, command) -> JSONValue in
                ["cmd": .string(name), "summary": .string(command.summary)]
            }
            return ControlResponse(id: request.id, outcome: .success(["commands": .array(list)]))
        }
        guard let command = commands[request.command] else {
            let known = commandNames.joined(separator: ", ")
            return ControlResponse(
                id: request.id,
                outcome: .failure(
                    ControlError(
                        code: .unknownCommand, message: "unknown command \"\(request.command)\"; known commands: \(known)",
                        id: request.id)))
        }
        do {
            return ControlResponse(id: request.id, outcome: .success(try await command.handler(request)))
        } catch var error as ControlError {
            error.id = request.id
            return ControlResponse(id: request.id, outcome: .failure(error))
        } catch {
            return ControlResponse(
                id: request.id, outcome: .failure(ControlError(code: .internalError, message: "\(error)", id: request.id)))
        }
    }
}
