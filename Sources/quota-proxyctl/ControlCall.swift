import ArgumentParser
import Foundation
import QuotaControl
import QuotaCore
import QuotaRuntime
import QuotaState

/// One control request from the CLI, with the CLI's exit codes: 1 when the service answered with an
/// error, 3 when it is not running.
enum ControlCall {
    static func send(
        _ service: ServiceIdentity, _ command: String, arguments: [String: JSONValue] = [:], options: ControlOptions,
        timeout: Duration = .seconds(30)
    ) async throws -> JSONValue {
        let client = ControlClient(path: options.runtimeDirectory.socketPath(for: service))
        do throws(ControlClientError) {
            return try await client.send(command, arguments: arguments, timeout: timeout)
        } catch {
            printError("\(service.rawValue): \(error)")
            switch error {
            case .notRunning: throw ExitCode(3)
            default: throw ExitCode(1)
            }
        }
    }

    static func printError(_ message: String) {
        FileHandle.standardError.write(Data("quota-proxyctl: \(message)\n".utf8))
    }
}

/// Where the state files are, for commands that read or edit them directly.
struct StateOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Shared state folder.", discussion: "Default: $STATE_DIRECTORY, else /var/lib/quota-proxy.", valueName: "dir"))
    var stateDir: String?

    /// `--state-dir`, else `$STATE_DIRECTORY`, else `/var/lib/quota-proxy`.
    var directory: StateDirectory {
        StateDirectory.resolve(flag: stateDir, environment: ProcessInfo.processInfo.environment)
    }
}
