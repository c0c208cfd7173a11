import ArgumentParser
import Foundation
import QuotaCore
import QuotaRuntime
import QuotaState

/// `quota-proxyctl requests …`: the request log ("Proxy Monitor"), read straight from the files.
struct RequestsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "requests",
        abstract: "Recent requests: model, account, attempts, status, timing, tokens.",
        discussion: """
            Reads the request log in <state-dir>/requests (requests.jsonl and its rotated \
            requests.<n>.jsonl) directly; no service needs to run. The proxy writes records in \
            batches, so a request shows up within about a second.

            Examples:
              quota-proxyctl requests --since 1h --status 5xx
              quota-proxyctl requests show m3k9x2-0-17
              quota-proxyctl requests --since 2d --export csv > requests.csv
              quota-proxyctl requests list --help     (every filter and option)
            """,
        subcommands: [List.self, Show.self],
        defaultSubcommand: List.self
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List requests, newest first (the default subcommand).",
            usage: "quota-proxyctl requests [list] [<filters>] [<options>]",
            discussion: """
                Example:
                  quota-proxyctl requests --since 15m --model gpt-4o-mini --account acc-1 \\
                    --limit 20
                """)

        @Option(help: ArgumentHelp("Only requests started since: 30s, 15m, 1h, 2d back from now, or an RFC 3339 time.", valueName: "when"))
        var since: String?
        @Option(help: ArgumentHelp("Only requests started until: same forms as --since.", valueName: "when"))
        var until: String?
        @Option(help: "Only this model (as asked for, or as mapped upstream).") var model: String?
        @Option(help: "Only requests this account answered or was tried for.") var account: String?
        @Option(help: ArgumentHelp("Only this client status: a code such as 429, or a class such as 5xx.", valueName: "status"))
        var status: String?
        @Option(help: ArgumentHelp("Only proxy (client) requests, warmups, or account tests.", valueName: "proxy|warmup|test"))
        var kind: String?
        @Option(help: ArgumentHelp("Show at most this many (default 50; 0 for all; --export: all unless given).", valueName: "n"))
        var limit: Int?
        @Option(help: ArgumentHelp("Write the matching records to stdout as jsonl or csv, oldest first.", valueName: "jsonl|csv"))
        var export: String?
        @OptionGroup var options: ControlOptions

        /// The parsed options; usage errors (exit 2) name the accepted forms.
        func query(now: Date) throws -> (filter: RequestLogFilter, limit: Int?, export: ExportFormat?) {
            var filter = RequestLogFilter()
            func parsed<T>(_ option: String, _ parse: () throws -> T) throws -> T {
                do {
                    return try parse()
                } catch {
                    throw ValidationError("\(option) \(error)")
                }
            }
            if let since { filter.since = try parsed("--since") { try RequestLogFilter.parseTime(since, now: now) } }
            if let until { filter.until = try parsed("--until") { try RequestLogFilter.parseTime(until, now: now) } }
            if let status { filter.status = try parsed("--status") { try RequestLogFilter.StatusMatch(parsing: status) } }
            filter.model = model
            try AccountIDValidation.check(account, "--account")
            filter.account = account
            if let kind {
                guard let parsed = RequestRecord.Kind(rawValue: kind) else {
                    throw ValidationError("--kind \"\(kind)\" is not a kind: use proxy, warmup or test")
                }
                filter.kind = parsed
            }
            var format: ExportFormat?
            if let export {
                guard let parsed = ExportFormat(rawValue: export) else {
                    throw ValidationError("--export \"\(export)\" is not a format: use jsonl or csv")
                }
                format = parsed
            }
            if let limit, limit < 0 {
                throw ValidationError("--limit must be 0 (all) or more, got \(limit)")
            }
            let effectiveLimit = limit ?? (format == nil ? 50 : 0)
            return (filter, effectiveLimit == 0 ? nil : effectiveLimit, format)
        }

        /// Bad values are reported before anything is read, with this subcommand's usage (exit 2).
        func validate() throws {
            _ = try query(now: Date())
        }

        func run() async throws {
            let (filter, limit, export) = try query(now: Date())
            let reader = try options.existingStateDirectory().requestLog
            let page: RequestLogPage
            do {
                page = try reader.page(matching: filter, limit: limit, countingAll: export == nil && !options.json)
            } catch {
                ControlCall.printError(error.description)
                throw ExitCode(1)
            }
            if let export {
                let oldestFirst = Array(page.records.reversed())
                print(export == .csv ? RequestLogExport.csv(oldestFirst) : RequestLogExport.jsonl(oldestFirst), terminator: "")
                return
            }
            if options.json {
                print(try RequestsOutput.json(page.records))
                return
            }
            guard page.logExists else {
                print("no requests recorded yet (\(reader.directory) does not exist)")
                return
            }
            if page.records.isEmpty {
                print(filter.isEmpty ? "no requests recorded yet" : "no request matches")
            } else {
                print(RequestsOutput.table(page.records), terminator: "")
            }
            if let footer = RequestsOutput.footer(page, limit: limit) { print(footer) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One request with all its fields and its attempts.",
            usage: "quota-proxyctl requests show <id> [<options>]",
            discussion: "Example: quota-proxyctl requests show m3k9x2-0-17")

        @Argument(help: "The request id (the ID column of quota-proxyctl requests).") var id: String
        @OptionGroup var options: ControlOptions

        func run() async throws {
            let reader = try options.existingStateDirectory().requestLog
            let found: RequestRecord?
            do {
                found = try reader.record(id: id)
            } catch {
                ControlCall.printError(error.description)
                throw ExitCode(1)
            }
            guard let record = found else {
                ControlCall.printError("no request with id \(id) in the request log (\(reader.directory))")
                throw ExitCode(1)
            }
            print(options.json ? try RequestsOutput.json(record) : RequestsOutput.details(record), terminator: options.json ? "\n" : "")
        }
    }

    enum ExportFormat: String {
        case jsonl, csv
    }
}
