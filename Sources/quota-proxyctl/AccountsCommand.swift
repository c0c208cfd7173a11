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
        abstract: "List, show, add, test, remove, enable, disable and import accounts.",
        discussion: """
            Accounts are files in <state-dir>/accounts/<id>.json. Editing commands write them \
            atomically (mode 0600, owned like the folder) and tell the proxy to reload, so routing \
            changes at once. Secrets are always shown masked.
            """,
        subcommands: [List.self, Show.self, Add.self, Remove.self, Enable.self, Disable.self, Import.self, Test.self],
        defaultSubcommand: List.self
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The accounts as the proxy routes them: tier, quota, protection, cooldowns, last use.",
            usage: "quota-proxyctl accounts [list] [<options>]",
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
                    Self.stateText(account),
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

        /// `enabled`, `forbidden`, or `disabled: <reason>` (the reason the operator gave).
        static func stateText(_ account: JSONValue) -> String {
            if account["disabled"] == true {
                return account["disabled_reason"]?.stringValue.map { "disabled: \($0)" } ?? "disabled"
            }
            return account["is_forbidden"] == true ? "forbidden" : "enabled"
        }

        /// `12s ago`, `4m10s ago`, or `never` (since the proxy started).
        static func lastUsed(_ text: String?, now: Date) -> String {
            guard let text, let date = Timestamp.parse(text) else { return "never" }
            return TerminalOutput.duration(seconds: max(0, Int(now.timeIntervalSince(date)))) + " ago"
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One account from its file, and the URL a chat request through it goes to.",
            usage: "quota-proxyctl accounts show <id> [<options>]",
            discussion: """
                Reads <state-dir>/accounts/<id>.json; no service needs to run. The secret is \
                shown masked.
                """)
        @Argument(help: "Account id.") var id: String
        @OptionGroup var options: ControlOptions

        func validate() throws {
            try AccountIDValidation.check(id, "account id")
        }

        func run() async throws {
            let store = try options.existingStateDirectory().accounts
            let account: Account
            switch store.load(id: id) {
            case .success(let loaded?):
                account = loaded
            case .success(nil):
                ControlCall.printError("account \(id) not found in \(store.directory)")
                throw ExitCode(1)
            case .failure(let problem):
                ControlCall.printError(problem.message)
                throw ExitCode(1)
            }
            let targets = account.requestTargets()
            if options.json {
                var json = AccountCatalog.maskedJSON(account).objectValue ?? [:]
                json["base_urls"] = .array(account.allBaseURLs.map(JSONValue.string))
                json["request_targets"] = .array(targets.map(JSONValue.string))
                print(TerminalOutput.json(.object(json)))
                return
            }
            print(Self.details(account, targets: targets), terminator: "")
        }

        /// The account as `key  value` lines; secrets masked.
        static func details(_ account: Account, targets: [String]) -> String {
            var rows: [[String]] = [
                ["id", account.id], ["label", account.label ?? ""], ["provider", account.provider.rawValue],
                ["tier", account.tier.rawValue],
                [
                    "state",
                    account.disabled ? "disabled" + (account.disabledReason.map { ": \($0)" } ?? "") : "enabled",
                ],
                ["models", account.models.map { $0.joined(separator: ", ") } ?? "any"],
                ["secret", account.credentials.masked],
                ["quota source", account.quotaSource.kind.rawValue],
            ]
            for (index, target) in targets.enumerated() {
                rows.append([index == 0 ? "requests go to" : "then (fallback)", target])
            }
            return TerminalOutput.table(rows)
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send one minimal request through an account; print what the upstream said.",
            usage: "quota-proxyctl accounts test <id> [--model <model>] [<options>]",
            discussion: """
                Needs quota-proxy, which sends the request with the account's credentials \
                (disabled accounts too). It is logged with kind test (quota-proxyctl requests \
                --kind test), never counted as a warmup. Exits 1 when the upstream did not \
                answer 2xx.

                Example: quota-proxyctl accounts test acc-1 --model gpt-4o-mini
                """)
        @Argument(help: "Account id.") var id: String
        @Option(help: "The model to ask (default: the account's first listed model).") var model: String?
        @OptionGroup var options: ControlOptions

        func validate() throws {
            try AccountIDValidation.check(id, "account id")
            if let model, model.isEmpty || model.utf8.count > 256 { throw ValidationError("--model must be 1 to 256 bytes") }
        }

        func run() async throws {
            var arguments: [String: JSONValue] = ["account": .string(id)]
            if let model { arguments["model"] = .string(model) }
            let answer = try await ControlCall.send(.proxy, "test", arguments: arguments, options: options, timeout: .seconds(300))
            print(options.json ? TerminalOutput.json(answer) : Self.report(answer), terminator: options.json ? "\n" : "")
            let status = answer["status"]?.intValue ?? 0
            if !(200..<300).contains(status) { throw ExitCode(1) }
        }

        /// The answer of `proxy.sock`'s `test` for people: status, latency, URL and a clipped body.
        static func report(_ answer: JSONValue) -> String {
            let status = answer["status"]?.intValue ?? 0
            let outcome = answer["outcome"]?.stringValue.map { " (\($0))" } ?? ""
            var text = "\(answer["account"]?.stringValue ?? "?"): upstream answered HTTP \(status)\(outcome)"
            text += " in \(answer["duration_ms"]?.intValue ?? 0) ms\n"
            text += "  request  POST \(answer["url"]?.stringValue ?? "?")\n"
            var model = answer["model"]?.stringValue ?? "?"
            if let upstream = answer["upstream_model"]?.stringValue { model += " (sent upstream as \(upstream))" }
            text += "  model    \(model)\n"
            if let body = answer["answer"]?.stringValue, !body.isEmpty {
                text += "  answer   \(clipped(body))\n"
            }
            return text
        }

        /// One line of at most 300 characters: newlines and runs of spaces folded.
        static func clipped(_ body: String) -> String {
            let words = body.split(whereSeparator: { $0.isWhitespace || $0.isNewline })
            let line = words.joined(separator: " ")
            return line.count > 300 ? String(line.prefix(300)) + "…" : line
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add an account with an API key.",
            usage: """
                quota-proxyctl accounts add --id <id> --provider <p> --base-url <url>
                  (--api-key-file <file> | --api-key <key>) [<options>]
                """,
            discussion: """
                Prints the URL a chat request through the account will go to. An existing id is \
                refused unless --replace is given (e.g. to fix a wrong key).

                Example:
                  quota-proxyctl accounts add --id acc-1 --provider openai \\
                    --base-url https://api.openai.com/v1 --api-key-file key.txt
                """)
        @Option(help: "Account id (A–Z a–z 0–9 . _ -).") var id: String
        @Option(help: "Provider: \(Provider.allCases.map(\.rawValue).joined(separator: ", ")).") var provider: String
        @Option(help: "Upstream base URL as the provider's SDK takes it, e.g. https://api.openai.com/v1.") var baseURL: String
        @Option(help: "primary (default) or fallback.") var tier: String = "primary"
        @Option(help: "A file holding the API key (keeps it out of shell history).") var apiKeyFile: String?
        @Option(help: "The API key itself (prefer --api-key-file).") var apiKey: String?
        @Option(help: "Comma-separated models this account serves (default: any).") var models: String?
        @Option(help: "A human label such as the account's e-mail.") var label: String?
        @Flag(help: "Replace the account if the id exists (its file is rewritten).") var replace = false
        @OptionGroup var options: ControlOptions

        func validate() throws {
            try AccountIDValidation.check(id, "--id")
        }

        func run() async throws {
            guard let provider = Provider(rawValue: provider) else {
                throw ValidationError("--provider must be one of \(Provider.allCases.map(\.rawValue).joined(separator: ", "))")
            }
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
            try await AccountFiles(options: options).save([account], replacing: replace, options: options)
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove an account (deletes its file).", usage: "quota-proxyctl accounts remove <id> [<options>]")
        @Argument(help: "Account id.") var id: String
        @OptionGroup var options: ControlOptions

        func validate() throws {
            try AccountIDValidation.check(id, "account id")
        }

        func run() async throws {
            let files = try AccountFiles(options: options)
            guard try files.store.remove(id: id) else {
                ControlCall.printError("account \(id) not found in \(files.store.directory)")
                throw ExitCode(1)
            }
            print("removed \(id)")
            await AccountFiles.pokeProxy(options: options)
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enable an account again.", usage: "quota-proxyctl accounts enable <id> [<options>]")
        @Argument(help: "Account id.") var id: String
        @OptionGroup var options: ControlOptions

        func validate() throws {
            try AccountIDValidation.check(id, "account id")
        }

        func run() async throws {
            try await AccountFiles.setDisabled(id, false, reason: nil, options: options)
            print("enabled \(id)")
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable an account: it serves nothing until enabled.",
            usage: "quota-proxyctl accounts disable <id> [--reason <text>] [<options>]")
        @Argument(help: "Account id.") var id: String
        @Option(help: "Why, for the other operators.") var reason: String = Account.defaultDisabledReason
        @OptionGroup var options: ControlOptions

        func validate() throws {
            try AccountIDValidation.check(id, "account id")
        }

        func run() async throws {
            try await AccountFiles.setDisabled(id, true, reason: reason, options: options)
            print("disabled \(id)")
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import accounts from a JSON file (one account object or a list of them).",
            usage: "quota-proxyctl accounts import <file> [--replace] [<options>]",
            discussion: "Every account is checked before any is written; existing ids are replaced only with --replace.")
        @Argument(help: "The JSON file.") var file: String
        @Flag(help: "Replace accounts that already exist.") var replace = false
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
            try await AccountFiles(options: options).save(accounts, replacing: replace, options: options)
        }
    }
}

/// Editing account files from the CLI.
struct AccountFiles {
    let store: AccountStore

    /// The account files of the state folder; a missing state folder is an error (exit 1).
    init(options: ControlOptions) throws {
        let directory = try options.existingStateDirectory()
        store = directory.accounts
        do {
            try directory.prepare()  // accounts/ (0700) when the folder has none yet
        } catch {
            ControlCall.printError(error.description)
            throw ExitCode(1)
        }
    }

    func save(_ accounts: [Account], replacing: Bool, options: ControlOptions) async throws {
        var existing: Set<String> = []
        for account in accounts {
            try AccountIDValidation.check(account.id, "account")
            if let problem = account.validationProblem() {
                throw ValidationError("account \(account.id): \(problem)")
            }
            if FileManager.default.fileExists(atPath: store.file(for: account.id).path) {
                guard replacing else {
                    throw ValidationError("account \(account.id) already exists (use --replace to overwrite it)")
                }
                existing.insert(account.id)
            }
        }
        for account in accounts {
            try store.save(account)
            let verb = existing.contains(account.id) ? "replaced" : "saved"
            print("\(verb) \(account.id) (\(account.provider.rawValue), \(account.tier.rawValue), \(account.credentials.masked))")
            for target in account.requestTargets() { print("  requests go to \(target)") }
        }
        await Self.pokeProxy(options: options)
    }

    func edit(_ id: String, options: ControlOptions, _ change: @escaping (inout Account) -> Void) async throws {
        guard try store.update(id: id, { change(&$0) }) != nil else {
            ControlCall.printError("account \(id) not found in \(store.directory)")
            throw ExitCode(1)
        }
        await Self.pokeProxy(options: options)
    }

    /// Enables or disables an account with `proxy.sock`'s `enable` / `disable` (the commands the
    /// dashboard uses); when the proxy is not running, the same edit on the file directly.
    static func setDisabled(_ id: String, _ disabled: Bool, reason: String?, options: ControlOptions) async throws {
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
        try await AccountFiles(options: options).edit(id, options: options) { $0.setDisabled(disabled, reason: reason) }
    }

    /// Tells the proxy to re-read the files now (it would within 2 s anyway).
    static func pokeProxy(options: ControlOptions) async {
        let client = ControlClient(path: options.runtimeDirectory.socketPath(for: .proxy))
        _ = try? await client.send("reload", timeout: .seconds(5))
    }
}
