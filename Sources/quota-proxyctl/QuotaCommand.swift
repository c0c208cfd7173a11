import ArgumentParser
import Foundation
import QuotaCore
import QuotaRuntime
import QuotaState

/// `quota-proxyctl quota`: remaining quota per account and model, read from the account files.
struct QuotaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quota",
        abstract: "Remaining quota per account and model, and every limit window: quota apart from rate limits.",
        usage: "quota-proxyctl quota [--account <id>] [<options>]",
        discussion: """
            Reads the account files in <state-dir>/accounts directly; no service needs to run. \
            The first table is quota.models: per model the tightest quota window, the figure Quota \
            Protection compares with the threshold. Then every quota window (5h, 7d, polled quota; \
            ACTS ON names the models whose protection figure it is) and every rate limit (per-minute \
            headers; PAUSE shows when one at 0 keeps the account aside). Figures from polled sources \
            are refreshed by quota-refresher every refresher.interval_seconds and flagged stale when \
            older than twice that; header figures change only when requests are proxied. \
            Credentials are never shown.

            Example: quota-proxyctl quota --account acc-1
            """)

    @Option(help: "Only this account.") var account: String?
    @OptionGroup var options: ControlOptions

    func validate() throws {
        try AccountIDValidation.check(account, "--account")
    }

    func run() async throws {
        let store = try options.existingStateDirectory().accounts
        var accounts: [Account]
        if let account {
            switch store.load(id: account) {
            case .success(let loaded?):
                accounts = [loaded]
            case .success(nil):
                ControlCall.printError("account \(account) not found in \(store.directory)")
                throw ExitCode(1)
            case .failure(let problem):
                ControlCall.printError(problem.message)
                throw ExitCode(1)
            }
        } else {
            let result = store.loadAll()
            accounts = result.accounts
            for problem in result.problems { ControlCall.printError(problem.message) }
        }
        accounts.sort { $0.id < $1.id }
        let report = QuotaTable(accounts: accounts, configuration: loadConfiguration(), now: Date())
        if options.json {
            print(TerminalOutput.json(report.json))
        } else if accounts.isEmpty {
            print("no accounts in \(store.directory)")
        } else {
            print(report.table, terminator: "")
        }
    }

    /// The services' configuration, or the defaults (with a note) when it cannot be read.
    func loadConfiguration() -> QuotaProxyConfiguration {
        let loader = options.configurationLoader
        do {
            return try loader.load()
        } catch {
            ControlCall.printError("using the default refresher interval and model groups: \(error)")
            return QuotaProxyConfiguration()
        }
    }
}
