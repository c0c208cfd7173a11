import ArgumentParser
import Glibc
import QuotaRuntime

@main
struct QuotaProxyCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quota-proxyctl",
        abstract: "Inspect and steer the quota-proxy services.",
        discussion: """
            Talks to the services over their control sockets in /run/quota-proxy (or --runtime-dir, \
            $RUNTIME_DIRECTORY), and edits account files in /var/lib/quota-proxy/accounts (or \
            --state-dir, $STATE_DIRECTORY); quota and requests read the state files directly. Run \
            as root or as a member of group quota-proxy.

            Exit codes: 0 ok, 1 the operation failed, 2 usage error, 3 a service is not running. \
            Every command takes --json for scripts.
            """,
        version: QuotaProxyVersion.current,
        subcommands: [
            StatusCommand.self, AccountsCommand.self, CooldownsCommand.self, ClearCooldownCommand.self, ProtectionCommand.self,
            WarmupCommand.self, RefreshCommand.self, QuotaCommand.self, RequestsCommand.self, ConfigCommand.self,
        ]
    )

    /// Runs the command with this tool's exit codes: usage errors exit 2 (not ArgumentParser's 64).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Glibc.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// Options every quota-proxyctl command shares.
struct ControlOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Folder of the control sockets.", discussion: "Default: $RUNTIME_DIRECTORY, else /run/quota-proxy.",
            valueName: "dir"))
    var runtimeDir: String?

    @Flag(name: .long, help: "Print JSON instead of a table.")
    var json = false

    var runtimeDirectory: RuntimeDirectory {
        RuntimeDirectory.resolve(flag: runtimeDir, environment: ProcessInfo.processInfo.environment)
    }
}

import Foundation
