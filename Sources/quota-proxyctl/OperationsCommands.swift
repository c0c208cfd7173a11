import ArgumentParser
import Foundation
import QuotaControl
import QuotaCore
import QuotaRuntime

/// `quota-proxyctl cooldowns`: accounts the proxy is not using right now, and until when.
struct CooldownsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cooldowns",
        abstract: "Accounts cooling down: quota exhausted, rate limited, circuit open, auth failed.",
        usage: "quota-proxyctl cooldowns [<options>]")
    @OptionGroup var options: ControlOptions

    func run() async throws {
        let answer = try await ControlCall.send(.proxy, "cooldowns", options: options)
        if options.json {
            print(TerminalOutput.json(answer))
            return
        }
        let entries = answer["cooldowns"]?.arrayValue ?? []
        guard !entries.isEmpty else {
            print("no account is cooling down")
            return
        }
        let rows = entries.map { entry in
            [
                entry["account"]?.stringValue ?? "", entry["group"]?.stringValue ?? "(all models)",
                entry["reason"]?.stringValue ?? "", entry["until"]?.stringValue ?? "",
                TerminalOutput.duration(seconds: entry["seconds_left"]?.intValue ?? 0),
            ]
        }
        print(TerminalOutput.table(rows, header: ["ACCOUNT", "GROUP", "REASON", "UNTIL", "LEFT"]), terminator: "")
    }
}

/// `quota-proxyctl clear-cooldown`: let the proxy use an account again now.
struct ClearCooldownCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clear-cooldown",
        abstract: "Clear an account's cooldowns (all groups, or one with --group).",
        usage: "quota-proxyctl clear-cooldown --account <id> [--group <g>] [<options>]")
    @Option(help: "Account id.") var account: String
    @Option(help: "Only this protection group (e.g. claude-sonnet-4-5).") var group: String?
    @OptionGroup var options: ControlOptions

    func validate() throws {
        try AccountIDValidation.check(account, "--account")
    }

    func run() async throws {
        var arguments: [String: JSONValue] = ["account": .string(account)]
        if let group { arguments["group"] = .string(group) }
        let answer = try await ControlCall.send(.proxy, "clear-cooldown", arguments: arguments, options: options)
        print(options.json ? TerminalOutput.json(answer) : "cleared the cooldowns of \(account)\(group.map { " for \($0)" } ?? "")")
    }
}

/// `quota-proxyctl warmup`: the seed's manual warmup button.
struct WarmupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warmup",
        abstract: "Warm up models whose windowed quota is back at 100%.",
        usage: "quota-proxyctl warmup [--account <id> | --plan] [<options>]",
        discussion: "Without --account every account is considered and the 4-hour cooldown is respected; with --account the cooldown is not checked. Needs quota-scheduler and quota-proxy.")
    @Option(help: "Only this account.") var account: String?
    @Flag(help: "Show what the next scan would warm now, and the warmup history; warms nothing.") var plan = false
    @OptionGroup var options: ControlOptions

    func validate() throws {
        try AccountIDValidation.check(account, "--account")
        if plan && account != nil { throw ValidationError("--plan shows every account; leave out --account") }
    }

    func run() async throws {
        if plan {
            let answer = try await ControlCall.send(.scheduler, "plan", options: options)
            print(options.json ? TerminalOutput.json(answer) : Self.planText(answer, now: Date()), terminator: options.json ? "\n" : "")
            return
        }
        let answer = try await ControlCall.send(
            .scheduler, "warmup", arguments: account.map { ["account": .string($0)] } ?? [:], options: options)
        print(options.json ? TerminalOutput.json(answer) : answer["message"]?.stringValue ?? "")
    }

    /// The `plan` answer for people.
    static func planText(_ answer: JSONValue, now: Date) -> String {
        guard answer["enabled"] != false else { return "scheduled warmup is disabled (scheduled_warmup.enabled=false)\n" }
        var text = ""
        let targets = answer["to_warm"]?.arrayValue ?? []
        if targets.isEmpty {
            text += "the next scan would warm nothing now\n"
        } else {
            text += "the next scan would warm:\n"
            text += TerminalOutput.table(
                targets.map { [$0["account"]?.stringValue ?? "", $0["model"]?.stringValue ?? ""] }, header: ["ACCOUNT", "MODEL"])
        }
        let counts = ["cooldown", "not_full", "stale", "skipped_accounts", "rolling_quota_accounts"].map {
            "\($0)=\(answer[$0]?.intValue ?? 0)"
        }
        text += "accounts=\(answer["accounts"]?.intValue ?? 0) " + counts.joined(separator: " ") + "\n"
        let history = answer["history"]?.arrayValue ?? []
        if !history.isEmpty {
            text += "\nWarmup history (a scan skips a pair until its cooldown ends):\n"
            text += TerminalOutput.table(
                history.map { entry in
                    let until = entry["cooldown_until"]?.stringValue.flatMap(Timestamp.parse)
                    let left = until.map { Int($0.timeIntervalSince(now).rounded(.up)) } ?? 0
                    return [
                        entry["account"]?.stringValue ?? "", entry["model"]?.stringValue ?? "", entry["warmed_at"]?.stringValue ?? "",
                        left > 0 ? "in cooldown, \(TerminalOutput.duration(seconds: left)) left" : "cooldown over",
                    ]
                }, header: ["ACCOUNT", "MODEL", "WARMED", "COOLDOWN"])
        }
        return text
    }
}

/// `quota-proxyctl reload`: the proxy re-reads the account files now.
struct ReloadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Ask quota-proxy to re-read the account files now (it does every 2 s anyway).",
        usage: "quota-proxyctl reload [<options>]",
        discussion: "For the configuration file use systemctl reload quota-proxy (SIGHUP).")
    @OptionGroup var options: ControlOptions

    func run() async throws {
        let answer = try await ControlCall.send(.proxy, "reload", options: options)
        if options.json {
            print(TerminalOutput.json(answer))
            return
        }
        let counts = ["added", "updated", "removed"].map { "\(answer[$0]?.intValue ?? 0) \($0)" }.joined(separator: ", ")
        print("reloaded the account files: \(counts); \(answer["accounts"]?.intValue ?? 0) account(s)")
    }
}

/// `quota-proxyctl refresh`: refresh quota and tokens now.
struct RefreshCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refresh",
        abstract: "Ask quota-refresher to refresh all accounts, or one, now.",
        usage: "quota-proxyctl refresh [--account <id>] [<options>]")
    @Option(help: "Only this account.") var account: String?
    @OptionGroup var options: ControlOptions

    func validate() throws {
        try AccountIDValidation.check(account, "--account")
    }

    func run() async throws {
        let answer = try await ControlCall.send(
            .refresher, "refresh", arguments: account.map { ["account": .string($0)] } ?? [:], options: options)
        print(options.json ? TerminalOutput.json(answer) : "refresh of \(account ?? "all accounts") scheduled")
    }
}

/// `quota-proxyctl protection`: which accounts are protected for which group, and which cannot be.
struct ProtectionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "protection",
        abstract: "Show Quota Protection: protected groups per account, and accounts it cannot act on.",
        usage: "quota-proxyctl protection [<options>]",
        discussion: "An account without quota figures is never protected (the most common pitfall): such accounts are listed with the reason.")
    @OptionGroup var options: ControlOptions

    func run() async throws {
        let listing = try await ControlCall.send(.proxy, "accounts", options: options)
        let accounts = listing["accounts"]?.arrayValue ?? []
        var protected: [[String]] = []
        var blind: [[String]] = []
        for account in accounts {
            let id = account["id"]?.stringValue ?? "?"
            let quota = account["quota"]?.arrayValue ?? []
            for group in (account["protected_models"]?.arrayValue ?? []).compactMap(\.stringValue) {
                let figures = quota.filter { $0["name"]?.stringValue == group }
                    .compactMap { $0["percentage"]?.doubleValue.map { PercentText.format($0) + "%" } }
                protected.append([id, group, figures.first ?? "", figures.isEmpty ? "" : "at or below the threshold"])
            }
            if quota.isEmpty && account["disabled"] != true {
                let source = account["quota_source"]?.stringValue ?? "headers"
                blind.append([
                    id,
                    source == "headers"
                        ? "no quota figures yet (source: rate-limit headers of proxied answers)"
                        : "no quota figures (source \(source) not answered yet; see quota-refresher)",
                ])
            }
        }
        if options.json {
            print(
                TerminalOutput.json([
                    "protected": .array(protected.map { ["account": .string($0[0]), "group": .string($0[1]), "percentage": .string($0[2])] }),
                    "no_quota_data": .array(blind.map { ["account": .string($0[0]), "reason": .string($0[1])] }),
                ]))
            return
        }
        if protected.isEmpty {
            print("no account is protected")
        } else {
            print(TerminalOutput.table(protected, header: ["ACCOUNT", "GROUP", "QUOTA", "WHY"]), terminator: "")
        }
        if !blind.isEmpty {
            print("\nProtection cannot act on these accounts:")
            print(TerminalOutput.table(blind, header: ["ACCOUNT", "REASON"]), terminator: "")
        }
    }
}

/// `quota-proxyctl config check`: validate a configuration file without starting anything.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Configuration tools.", subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a configuration file and name every problem at once.",
            usage: "quota-proxyctl config check [<file>] [<options>]",
            discussion: """
                The file is FILE, else --config, else $QUOTA_PROXY_CONFIG, else \
                /etc/quota-proxy/config.json; the QUOTA_PROXY_* overrides of the environment \
                are applied as the services apply them. With no file at the default path the \
                defaults apply (that is valid). Exits 1 when anything is wrong: every unknown \
                key, wrong type and value out of range is listed, and invalid JSON is located \
                by line and column.
                """)
        @Argument(help: ArgumentHelp("The file (the same as --config).", valueName: "file")) var file: String?
        @OptionGroup var options: ControlOptions

        func validate() throws {
            if let file, let config = options.config, file != config {
                throw ValidationError("name the file once: as the argument or with --config")
            }
        }

        func run() async throws {
            let loader = ConfigurationLoader(flag: file ?? options.config, environment: ProcessInfo.processInfo.environment)
            let exists = FileManager.default.fileExists(atPath: loader.path)
            do {
                let configuration = try loader.load()
                let summary = Self.summary(configuration)
                if options.json {
                    print(
                        TerminalOutput.json([
                            "file": .string(loader.path), "exists": .bool(exists), "valid": true, "summary": .string(summary),
                        ]))
                } else if exists {
                    print("\(loader.path): valid (\(summary))")
                } else {
                    print("no configuration file at \(loader.path) (the default path); the defaults apply: \(summary)")
                }
            } catch {
                if options.json {
                    print(
                        TerminalOutput.json([
                            "file": .string(loader.path), "exists": .bool(exists), "valid": false,
                            "problems": .array(
                                error.problems.map { problem in
                                    [
                                        "key": .string(problem.key), "message": .string(problem.message),
                                        "environment_variable": problem.environmentVariable.map(JSONValue.string) ?? .null,
                                    ]
                                }),
                        ]))
                } else {
                    ControlCall.printError("\(error)")
                }
                throw ExitCode(1)
            }
        }

        /// `listen 127.0.0.1:8080, 1 client key(s), protection at 10%, warmup on`.
        static func summary(_ configuration: QuotaProxyConfiguration) -> String {
            let protection = configuration.quotaProtection.enabled ? "at \(configuration.quotaProtection.thresholdPercentage)%" : "off"
            return "listen \(configuration.listen.host):\(configuration.listen.port), "
                + "\(configuration.clientAPIKeys.count) client key(s), protection \(protection), "
                + "warmup \(configuration.scheduledWarmup.enabled ? "on" : "off")"
        }
    }
}
