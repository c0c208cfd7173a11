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
            switch error {
            case .notRunning:
                let runtime = options.runtimeDirectory.path
                printError("\(service.rawValue): \(error); runtime folder \(runtime) (\(options.runtimeDirectoryOrigin))")
                throw ExitCode(3)
            case .permissionDenied, .timedOut, .transport, .commandFailed:
                printError("\(service.rawValue): \(error)")
                throw ExitCode(1)
            }
        }
    }

    static func printError(_ message: String) {
        FileHandle.standardError.write(Data("quota-proxyctl: \(message)\n".utf8))
    }
}
