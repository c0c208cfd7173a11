import ArgumentParser
import Foundation
import Glibc
import QuotaRuntime
import QuotaState

/// The options every quota-proxyctl command and subcommand takes: the three folders/files the
/// services use (each command ignores what it does not need) and `--json`.
///
/// Resolution is the services' own: a flag, else its environment variable, else the default.
struct ControlOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Shared state folder (accounts/, requests/, ...).",
            discussion: "Default: $STATE_DIRECTORY, else /var/lib/quota-proxy.", valueName: "dir"))
    var stateDir: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Folder of the control sockets.", discussion: "Default: $RUNTIME_DIRECTORY, else /run/quota-proxy.",
            valueName: "dir"))
    var runtimeDir: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Configuration file.",
            discussion: "Default: $QUOTA_PROXY_CONFIG, else /etc/quota-proxy/config.json (defaults when absent).",
            valueName: "file"))
    var config: String?

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    private var environment: [String: String] { ProcessInfo.processInfo.environment }

    var runtimeDirectory: RuntimeDirectory {
        RuntimeDirectory.resolve(flag: runtimeDir, environment: environment)
    }

    /// `--state-dir`, else `$STATE_DIRECTORY`, else `/var/lib/quota-proxy`.
    var stateDirectory: StateDirectory {
        StateDirectory.resolve(flag: stateDir, environment: environment)
    }

    /// `--config`, else `$QUOTA_PROXY_CONFIG`, else `/etc/quota-proxy/config.json`.
    var configurationLoader: ConfigurationLoader {
        ConfigurationLoader(flag: config, environment: environment)
    }

    /// How the state folder was chosen, for messages: `--state-dir`, `$STATE_DIRECTORY` or the default.
    var stateDirectoryOrigin: String {
        FolderOrigin.describe(flag: stateDir, flagName: "--state-dir", environment: environment, variable: "STATE_DIRECTORY")
    }

    /// How the runtime folder was chosen, for messages.
    var runtimeDirectoryOrigin: String {
        FolderOrigin.describe(
            flag: runtimeDir, flagName: "--runtime-dir", environment: environment, variable: "RUNTIME_DIRECTORY")
    }

    /// The state folder for a command that reads or edits it: when it does not exist (or is not a
    /// folder) that is said on stderr, naming the folder and how it was chosen, and the command
    /// exits 1; reading an empty answer from a mistyped folder would look like "nothing there".
    func existingStateDirectory() throws -> StateDirectory {
        let directory = stateDirectory
        var info = stat()
        if stat(directory.path, &info) != 0 {
            let reason = errno == ENOENT ? "does not exist" : "cannot be read: \(String(cString: strerror(errno)))"
            ControlCall.printError(
                "state folder \(directory.path) \(reason) (\(stateDirectoryOrigin)); name the services' folder with --state-dir or $STATE_DIRECTORY")
            throw ExitCode(1)
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            ControlCall.printError("state folder \(directory.path) is not a folder (\(stateDirectoryOrigin))")
            throw ExitCode(1)
        }
        return directory
    }
}

/// Says where a folder setting came from: `from --state-dir`, `from $STATE_DIRECTORY`, or the default.
enum FolderOrigin {
    static func describe(flag: String?, flagName: String, environment: [String: String], variable: String) -> String {
        if let flag, !flag.isEmpty { return "from \(flagName)" }
        if let value = environment[variable]?.split(separator: ":").first, !value.isEmpty { return "from $\(variable)" }
        return "the default; neither \(flagName) nor $\(variable) is set"
    }
}
