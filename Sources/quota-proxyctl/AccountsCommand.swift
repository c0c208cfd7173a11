import ArgumentParser
import Foundation
import QuotaControl
import QuotaCore
import QuotaRuntime
import QuotaState

/// `quota-proxyctl accounts …`: list and edit the account files.
struct AccountsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accounts",
        abstract: "List, add, remove, enable, disable and import accounts.",
        discussion: """
            Accounts are files in <state-dir>/accounts/<id>.json. Editing commands write them
            atomically (mode 0600, owned like the folder) and tell the proxy to reload, so routing
            changes at once. Secrets are always shown masked.
            """,
        subcommands: [List.self, Add.self, Remove.self, Enable.self, Disable.self, Import.self],
        defaultSubcommand: List.self
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The accounts as the proxy routes them: tier, quota, protection, cooldowns, last use.",
            discussion: "LAST USED is when the proxy last sent the account a request since it started.")
        @OptionGroup var options: ControlOptions

        func run() async throws {
            let listing = try await ControlCall.send(.proxy, "accounts", options: options)
            let cooldowns = try await ControlCall.send(.proxy, "cooldowns", options: options)
            if options.json {
                print(TerminalOutput.json(["accounts": listing["accounts"] ?? [], "cooldowns": cooldowns["cooldowns"] ?? []]))
                return
            }
            var cooling: [String: [String]] = [:]
            for entry in cooldowns["cooldowns"]?.arrayValue ?? [] {
                guard let account = entry["account"]?.stringValue else { continue }
                let what = [entry["group"]?.stringValue, entry["reason"]?.stringValue].compactMap { $0 }.joined(separator: " ")
                cooling[account, default: []].append("\(what) \(entry["seconds_left"]?.intValue ?? 0)s")
            }
            var rows: [[String]] = []
            let now = Date()
            for account in listing["accounts"]?.arrayValue ?? [] {
                let id = account["id"]?.stringValue ?? "?"
                let quota = (account["quota"]?.arrayValue ?? []).map { model -> String in
                    let percentage = model["percentage"]?.doubleValue.map { PercentText.format($0) + "%" } ?? "?"
                    let reset = model["reset_time"]?.stringValue.map { " (resets \($0))" } ?? ""
                    return "\(model["name"]?.stringValue ?? "?") \(percentage)\(reset)"
                }
                rows.append([
                    id, account["label"]?.stringValue ?? "", account["provider"]?.stringValue ?? "",
                    account["tier"]?.stringValue ?? "",
                    account["disabled"] == true ? "disabled" : (account["is_forbidden"] == true ? "forbidden" : "enabled"),
                    quota.isEmpty ? "no quota data" : quota.joined(separator: ", "),
                    (account["protected_models"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ","),
                    cooling[id]?.joined(separator: ", ") ?? "",
                    Self.lastUsed(account["last_used"]?.stringValue, now: now),
                    account["secret"]?.stringValue ?? "",
                ])
            }
            print(
                TerminalOutput.table(
                    rows, header: ["ID", "LABEL", "PROVIDER", "TIER", "STATE", "QUOTA", "PROTECTED", "COOLDOWNS", "LAST USED", "SECRET"]),
                terminator: "")
            for skipped in listing["skipped_files"]?.arrayValue ?? [] {
                ControlCall.printError("skipped \(skipped["path"]?.stringValue ?? ""): \(skipped["reason"]?.stringValue ?? "")")
            }
        }

        /// `12s ago`, `4m10s ago`, or `never` (since the proxy started).
        static func lastUsed(_ text: String?, now: Date) -> String {
            guard let text, let date = Timestamp.parse(text) else { return "never" }
            return TerminalOutput.duration(seconds: max(0, Int(now.timeIntervalSince(date)))) + " ago"
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add an account with an API key.",
            discussion: "Example: quota-proxyctl accounts add --id acc-1 --provider openai --base-url https://api.example.com --api-key-file key.txt")
        @Option(help: "Account id (A–Z a–z 0–9 . _ -).") var id: String
        @Option(help: "Wire protocol: openai or anthropic.") var provider: String
        @Option(help: "Upstream base URL, e.g. https://api.example.com.") var baseURL: String
        @Option(help: "primary (default) or fallback.") var tier: String = "primary"
        @Option(help: "A file holding the API key (keeps it out of shell history).") var apiKeyFile: String?
        @Option(help: "The API key itself (prefer --api-key-file).") var apiKey: String?
        @Option(help: "Comma-separated models this account serves (default: any).") var models: String?
        @Option(help: "A human label such as the account's e-mail.") var label: String?
        @OptionGroup var state: StateOptions
        @OptionGroup var options: ControlOptions

        func validate() throws {
            try AccountIDValidation.check(id, "--id")
        }

        func run() async throws {
            guard let provider = Provider(rawValue: provider) else { throw ValidationError("--provider must be openai or anthropic") }
            guard let tier = Tier(rawValue: tier) else { throw ValidationError("--tier must be primary or fallback") }
            var key = apiKey
            if let apiKeyFile {
                let data = try InputFile.read(apiKeyFile, limit: InputFile.keyLimit, what: "--api-key-file")
                guard let text = String(data: data, encoding: .utf8) else {
                    throw ValidationError("--api-key-file \(apiKeyFile) is not UTF-8 text")
                }
                key = text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            guard let key, !key.isEmpty else { throw ValidationError("give the key with --api-key-file FILE (or --api-key)") }
            let account = Account(
                id: id, label: label, provider: provider, baseURL: baseURL, tier: tier, credentials: .apiKey(key),
                models: models.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } })
            try await AccountFiles(state: state).save([account], replacing: false, options: options)
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an account (deletes its file).")
        @Argument(help: "Account id.") var id: String
        @OptionGroup var state: StateOptions
        @OptionGroup var options: ControlOptions

        func validate() throws {
            try AccountIDValidation.check(id, "account id")
        }

        func run() async throws {
            let files = AccountFiles(state: state)
            guard try files.store.remove(id: id) else {
                ControlCall.printError("account \(id) not found in \(files.store.directory)")
                throw ExitCode(1)
            }
            print("removed \(id)")
            await files.pokeProxy(options: options)
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable an account again.")
        @Argument(help: "Account id.") var id: String
        @OptionGroup var state: StateOptions
        @OptionGroup var options: ControlOptions

        func validate() throws {
            try AccountIDValidation.check(id, "account id")
        }

        func run() async throws {
            try await AccountFiles(state: state).setDisabled(id, false, reason: nil, options: options)
            print("enabled \(id)")
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable an account: it serves nothing until enabled.")
        @Argument(help: "Account id.") var id: String
        @Option(help: "Why, for the other operators.") var reason: String = Account.defaultDisabledReason
        @OptionGroup var state: StateOptions
        @OptionGroup var options: ControlOptions

        func validate() throws {
            try AccountIDValidation.check(id, "account id")
        }

        func run() async throws {
            try await AccountFiles(state: state).setDisabled(id, true, reason: reason, options: options)
            print("disabled \(id)")
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import accounts from a JSON file (one account object or a list of them).",
            discussion: "Every account is checked before any is written; existing ids are replaced only with --replace.")
        @Argument(help: "The JSON file.") var file: String
        @Flag(help: "Replace accounts that already exist.") var replace = false
        @OptionGroup var state: StateOptions
        @OptionGroup var options: ControlOptions

        func run() async throws {
            let data = try InputFile.read(file, limit: InputFile.importLimit, what: "the account file")
            let accounts: [Account]
            if let list = try? JSONDecoder().decode([Account].self, from: data) {
                accounts = list
            } else {
                do {
                    accounts = [try JSONDecoder().decode(Account.self, from: data)]
                } catch {
                    throw ValidationError("\(file) is not an account or a list of accounts: \(error)")
                }
            }
            try await AccountFiles(state: state).save(accounts, replacing: replace, options: options)
        }
    }
}

/// Editing account files from the CLI.
struct AccountFiles {
    let store: AccountStore

    init(state: StateOptions) {
        store = StateDirectory.resolve(flag: state.stateDir, environment: ProcessInfo.processInfo.environment).accounts
    }

    func save(_ accounts: [Account], replacing: Bool, options: ControlOptions) async throws {
        for account in accounts {
            try AccountIDValidation.check(account.id, "account")
            if let problem = account.validationProblem() {
                throw ValidationError("account \(account.id): \(problem)")
            }
            if !replacing, FileManager.default.fileExists(atPath: store.file(for: account.id).path) {
                throw ValidationError("account \(account.id) already exists (use --replace to overwrite it)")
            }
        }
        for account in accounts {
            try store.save(account)
            print("saved \(account.id) (\(account.provider.rawValue), \(account.tier.rawValue), \(account.credentials.masked))")
        }
        await pokeProxy(options: options)
    }

    func edit(_ id: String, options: ControlOptions, _ change: @escaping (inout Account) -> Void) async throws {
        guard try store.update(id: id, { change(&$0) }) != nil else {
            ControlCall.printError("account \(id) not found in \(store.directory)")
            throw ExitCode(1)
        }
        await pokeProxy(options: options)
    }

    /// Enables or disables an account with `proxy.sock`'s `enable` / `disable` (the commands the
    /// dashboard uses); when the proxy is not running, the same edit on the file directly.
    func setDisabled(_ id: String, _ disabled: Bool, reason: String?, options: ControlOptions) async throws {
        let client = ControlClient(path: options.runtimeDirectory.socketPath(for: .proxy))
        var arguments: [String: JSONValue] = ["account": .string(id)]
        if disabled, let reason { arguments["reason"] = .string(reason) }
        do throws(ControlClientError) {
            _ = try await client.send(disabled ? "disable" : "enable", arguments: arguments, timeout: .seconds(30))
            return
        } catch {
            switch error {
            case .notRunning, .permissionDenied:
                break  // edit the file below
            case .commandFailed(let failure) where failure.code == .unknownCommand:
                break  // an older proxy: edit the file below
            default:
                ControlCall.printError("quota-proxy: \(error)")
                throw ExitCode(1)
            }
        }
        try await edit(id, options: options) { $0.setDisabled(disabled, reason: reason) }
    }

    /// Tells the proxy to re-read the files now (it would within 2 s anyway).
    func pokeProxy(options: ControlOptions) async {
        let client = ControlClient(path: options.runtimeDirectory.socketPath(for: .proxy))
        _ = try? await client.send("reload", timeout: .seconds(5))
    }
}
