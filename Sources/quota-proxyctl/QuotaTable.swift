import Foundation
import QuotaCore

/// The figures `quota-proxyctl quota` shows, per account and model: the table here, the figures
/// and the JSON from ``QuotaCore/QuotaReport`` (the same the proxy's `accounts` answer and the
/// dashboard show).
struct QuotaTable {
    let accounts: [Account]
    let report: QuotaCore.QuotaReport
    var now: Date { report.now }

    init(accounts: [Account], configuration: QuotaProxyConfiguration, now: Date) {
        self.accounts = accounts
        self.report = QuotaCore.QuotaReport(configuration: configuration, now: now)
    }

    func isProtected(_ model: String, of account: Account) -> Bool { report.isProtected(model, of: account) }
    func age(of account: Account) -> Int? { report.age(of: account) }
    func isStale(_ account: Account) -> Bool { report.isStale(account) }
    func noDataNote(_ account: Account) -> String { report.noDataNote(account) }
    func protectionBasis(_ window: QuotaWindow, of account: Account) -> [String] { report.protectionBasis(window, of: account) }
    func pausedUntil(_ window: QuotaWindow) -> Date? { report.pausedUntil(window) }

    var table: String {
        var rows: [[String]] = []
        for account in accounts {
            let source = account.quotaSource.kind.rawValue
            let updated = age(of: account).map { TerminalOutput.duration(seconds: $0) + " ago" + (isStale(account) ? " STALE" : "") } ?? "never"
            let state = [account.disabled ? "disabled" : nil, account.quota.isForbidden ? "forbidden" : nil].compactMap { $0 }
                .joined(separator: ",")
            if account.quota.models.isEmpty {
                rows.append([account.id, "-", "-", "-", source, updated, "-", state, noDataNote(account)])
                continue
            }
            for model in account.quota.models.sorted(by: { $0.name < $1.name }) {
                rows.append([
                    account.id, model.name, PercentText.format(model.percentage) + "%", resetText(model.resetTime), source,
                    updated, isProtected(model.name, of: account) ? "yes" : "no", state, "",
                ])
            }
        }
        var text = TerminalOutput.table(
            rows, header: ["ACCOUNT", "MODEL", "LEFT", "RESETS", "SOURCE", "UPDATED", "PROTECTED", "STATE", "NOTE"])
        var quotaRows: [[String]] = []
        var rateRows: [[String]] = []
        for account in accounts {
            for window in account.quota.windows {
                let scope = window.model ?? "(account)"
                let current = window.current(at: now)
                let left = PercentText.format(current.percentage) + "%"
                if window.kind == .quota {
                    quotaRows.append([
                        account.id, scope, window.label, left, resetText(current.resetTime), window.source.rawValue,
                        protectionBasis(window, of: account).isEmpty
                            ? "" : "protection (" + protectionBasis(window, of: account).joined(separator: ",") + ")",
                    ])
                } else {
                    rateRows.append([
                        account.id, scope, window.label, left, resetText(window.resetTime), window.source.rawValue,
                        pausedUntil(window).map { "paused until " + resetText($0) } ?? "",
                    ])
                }
            }
        }
        if !quotaRows.isEmpty {
            text += "\nQuota windows (protection and warmup use these):\n"
            text += TerminalOutput.table(quotaRows, header: ["ACCOUNT", "SCOPE", "WINDOW", "LEFT", "RESETS", "SOURCE", "ACTS ON"])
        }
        if !rateRows.isEmpty {
            text += "\nRate limits (pace requests; never protect):\n"
            text += TerminalOutput.table(rateRows, header: ["ACCOUNT", "SCOPE", "WINDOW", "LEFT", "RESETS", "SOURCE", "PAUSE"])
        }
        return text
    }

    /// `11-22 18:00:00 (in 2h03m)`, `… (passed)`, or `-`.
    func resetText(_ reset: Date?) -> String {
        guard let reset else { return "-" }
        let seconds = Int(reset.timeIntervalSince(now).rounded(.up))
        let relative = seconds > 0 ? "in \(TerminalOutput.duration(seconds: seconds))" : "passed"
        return "\(TerminalOutput.localTime(reset, now: now)) (\(relative))"
    }

    var json: JSONValue {
        .array(accounts.map(report.json))
    }
}
