import ArgumentParser
import Foundation
import Glibc
import QuotaRuntime

@main
struct QuotaProxyCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quota-proxyctl",
        abstract: "Inspect and steer the quota-proxy services.",
        discussion: """
            Talks to the services over their control sockets in /run/quota-proxy (--runtime-dir, \
            else $RUNTIME_DIRECTORY), reads and edits the files of /var/lib/quota-proxy \
            (--state-dir, else $STATE_DIRECTORY) and reads /etc/quota-proxy/config.json \
            (--config, else $QUOTA_PROXY_CONFIG). Every command takes these three options and \
            --json, and ignores what it does not need. Run as root or as a member of group \
            quota-proxy.

            Exit codes: 0 ok, 1 the operation failed, 2 usage error, 3 a service is not running.
            """,
        version: QuotaProxyVersion.current,
        subcommands: [
            StatusCommand.self, AccountsCommand.self, CooldownsCommand.self, ClearCooldownCommand.self, ProtectionCommand.self,
            WarmupCommand.self, RefreshCommand.self, ReloadCommand.self, QuotaCommand.self, RequestsCommand.self, ConfigCommand.self,
        ]
    )

    /// Runs the command with this tool's exit codes: usage errors exit 2 (not ArgumentParser's 64).
    /// A usage error found while running (an existing account id, a bad --provider) is said
    /// without the root command's usage, which would only mislead.
    static func main() async {
        var command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Glibc.exit(2)
            }
            exit(withError: error)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data("quota-proxyctl: \(message(for: error))\n".utf8))
                Glibc.exit(2)
            }
            exit(withError: error)
        }
    }
}
