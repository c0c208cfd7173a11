import Foundation
import QuotaCore

/// The figures `quota-proxyctl quota` shows, per account and model.
struct QuotaReport {
    let accounts: [Account]
    let normalizer: ModelGroupNormalizer
    /// Polled figures older than this are stale (twice the refresher interval).
    let staleAfter: TimeInterval
    let now: Date

    init(accounts: [Account], configuration: QuotaProxyConfiguration, now: Date) {
        self.accounts = accounts
        self.normalizer = ModelGroupNormalizer(configuration: configuration)
        self.staleAfter = TimeInterval(2 * configuration.refresher.intervalSeconds)
        self.now = now
    }

    /// Whether `model` of `account` is protected (its group is in `protected_models`).
    func isProtected(_ model: String, of account: Account) -> Bool {
        let group = normalizer.group(for: model)
        return account.protectedModels.contains { $0 == model || normalizer.group(for: $0) == group }
    }

    /// Seconds since the figures were written, if ever.
    func age(of account: Account) -> Int? {
        account.quota.lastUpdated.map { max(0, Int(now.timeIntervalSince($0).rounded(.down))) }
    }

    /// Polled figures (antigravity, quota_url) older than twice the refresher interval.
    func isStale(_ account: Account) -> Bool {
        guard account.quotaSource.isWindowed, let age = age(of: account) else { return false }
        return TimeInterval(age) > staleAfter
    }

    /// Why an account has no figures, for the operator.
    func noDataNote(_ account: Account) -> String {
        if account.quota.isForbidden { return "no quota data: the quota source answered 403 (forbidden)" }
        if account.quota.windows.contains(where: { $0.kind == .rateLimit }) {
            return "no quota window: only per-minute rate limits are known (they pace; protection needs a quota window)"
        }
        if account.quotaSource.kind == .headers {
            return "no quota data yet (source headers: figures come with the first proxied answer)"
        }
        if account.quota.lastUpdated == nil {
            return "no quota data yet (source \(account.quotaSource.kind.rawValue) not refreshed; see quota-refresher)"
        }
        return "no quota data: the source listed no models"
    }

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

    /// The models whose protection figure this quota window is (the tightest quota window of
    /// each model in `quota.models`).
    func protectionBasis(_ window: QuotaWindow, of account: Account) -> [String] {
        guard window.kind == .quota else { return [] }
        return account.quota.models.map(\.name).filter { model in
            QuotaWindows.tightestQuota(for: model, in: account.quota.windows, now: now)?.sameLimit(as: window) == true
        }
    }

    /// When a rate-limit window at 0 stops pacing the account, if it still does.
    func pausedUntil(_ window: QuotaWindow) -> Date? {
        QuotaWindows.pacing([window], now: now).first?.until
    }

    /// `11-22 18:00:00 (in 2h03m)`, `… (passed)`, or `-`.
    func resetText(_ reset: Date?) -> String {
        guard let reset else { return "-" }
        let seconds = Int(reset.timeIntervalSince(now).rounded(.up))
        let relative = seconds > 0 ? "in \(TerminalOutput.duration(seconds: seconds))" : "passed"
        return "\(TerminalOutput.localTime(reset, now: now)) (\(relative))"
    }

    var json: JSONValue {
        .array(
            accounts.map { account in
                var object: [String: JSONValue] = [
                    "account": .string(account.id),
                    "provider": .string(account.provider.rawValue),
                    "tier": .string(account.tier.rawValue),
                    "quota_source": .string(account.quotaSource.kind.rawValue),
                    "last_updated": account.quota.lastUpdated.map { .string(Timestamp.format($0)) } ?? .null,
                    "age_seconds": age(of: account).map { .number(Double($0)) } ?? .null,
                    "stale": .bool(isStale(account)),
                    "is_forbidden": .bool(account.quota.isForbidden),
                    "disabled": .bool(account.disabled),
                    "protected_models": .array(account.protectedModels.map(JSONValue.string)),
                    "models": .array(
                        account.quota.models.sorted(by: { $0.name < $1.name }).map { model in
                            [
                                "name": .string(model.name),
                                "percentage": .number(model.percentage),
                                "reset_time": model.resetTime.map { .string(Timestamp.format($0)) } ?? .null,
                                "resets_in_seconds": model.resetTime.map { .number(Double(Int($0.timeIntervalSince(now).rounded(.up)))) } ?? .null,
                                "protected": .bool(isProtected(model.name, of: account)),
                            ]
                        }),
                ]
                object["windows"] = .array(
                    account.quota.windows.map { window in
                        let current = window.current(at: now)
                        return [
                            "kind": .string(window.kind.rawValue),
                            "scope": .string(window.scope.rawValue),
                            "model": window.model.map(JSONValue.string) ?? .null,
                            "window": .string(window.label),
                            "window_seconds": window.windowSeconds.map { .number(Double($0)) } ?? .null,
                            "percentage": .number(current.percentage),
                            "reset_time": current.resetTime.map { .string(Timestamp.format($0)) } ?? .null,
                            "resets_in_seconds": current.resetTime.map { .number(Double(Int($0.timeIntervalSince(now).rounded(.up)))) } ?? .null,
                            "source": .string(window.source.rawValue),
                            "observed_at": .string(Timestamp.format(window.observedAt)),
                            "protection_for": .array(protectionBasis(window, of: account).map(JSONValue.string)),
                            "paused_until": pausedUntil(window).map { .string(Timestamp.format($0)) } ?? .null,
                        ]
                    })
                if let label = account.label { object["label"] = .string(label) }
                if account.quota.models.isEmpty { object["note"] = .string(noDataNote(account)) }
                return .object(object)
            })
    }
}
