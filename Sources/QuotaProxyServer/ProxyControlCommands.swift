import Foundation
import Logging
import QuotaState
import QuotaControl
import QuotaCore

/// The commands of `proxy.sock`: `status` (added by the runner), `reload`, `accounts`,
/// `cooldowns`, `clear-cooldown`, `warmup`.
struct ProxyControlCommands {
    let service: ProxyService

    func register(into router: inout ControlCommandRouter) {
        let service = self.service
        router.register("reload", summary: "re-read the account files now (writers poke this after a change)") { _ in
            let changes = service.reloadAccounts()
            await service.coordinator.settled()
            return [
                "added": .number(Double(changes.added.count)), "updated": .number(Double(changes.updated.count)),
                "removed": .number(Double(changes.removed.count)),
                "accounts": .number(Double(service.catalog.snapshot.accounts.count)),
            ]
        }
        router.register("accounts", summary: "the accounts as the proxy routes them (live quota), secrets masked") { _ in
            let accounts = try await service.coordinator.withFirst { $0.selector.pool.accounts }
            let report = QuotaReport(configuration: service.configuration.current, now: Date())
            var lastUsed: [String: Double] = [:]
            for perLoop in await service.coordinator.collect({ $0.lastUsed }) {
                lastUsed.merge(perLoop) { max($0, $1) }
            }
            return [
                "accounts": .array(
                    accounts.map { account in
                        var json = AccountCatalog.maskedJSON(account)
                        if case .object(var fields) = json {
                            fields["last_used"] = lastUsed[account.id].map {
                                .string(Timestamp.format(Date(timeIntervalSince1970: $0)))
                            } ?? .null
                            // The figures of `quota-proxyctl quota --json`, from the live quota.
                            fields["quota_report"] = report.json(account)
                            json = .object(fields)
                        }
                        return json
                    }),
                "skipped_files": .array(
                    service.catalog.snapshot.problems.map { ["path": .string($0.path), "reason": .string($0.message)] }),
            ]
        }
        router.register("cooldowns", summary: "accounts cooling down: exhausted, rate limited, circuit open, auth failed") { _ in
            let now = Date()
            let entries = try await service.coordinator.withFirst { $0.cooldowns.activeEntries(now: now) }
            return [
                "cooldowns": .array(
                    entries.map { entry in
                        [
                            "account": .string(entry.account),
                            "group": entry.group.map(JSONValue.string) ?? .null,
                            "reason": .string(entry.reason.rawValue),
                            "until": .string(Timestamp.format(entry.until)),
                            "seconds_left": .number(max(0, entry.until.timeIntervalSince(now).rounded(.up))),
                        ]
                    })
            ]
        }
        router.register("clear-cooldown", summary: "clear cooldowns: {\"account\":ID} (all groups) or with \"group\"") { request in
            let account = try request.requiredAccountID()
            let group = try request.string("group")
            guard try await service.coordinator.withFirst({ $0.account(id: account) }) != nil else {
                throw ControlError(code: .notFound, message: "account \(account) not found")
            }
            service.coordinator.broadcast(.clearCooldown(account: account, group: group))
            await service.coordinator.settled()
            service.logger.notice(
                "cooldowns of \(account)\(group.map { " for \($0)" } ?? "") cleared by an operator", metadata: ["account": "\(account)"])
            return ["account": .string(account), "group": group.map(JSONValue.string) ?? .null, "cleared": true]
        }
        router.register("enable", summary: "enable {\"account\":ID} again (its file is written, routing follows at once)") { request in
            try setDisabled(service: service, account: try request.requiredString("account"), disabled: false, reason: nil)
        }
        router.register("disable", summary: "disable {\"account\":ID[,\"reason\":TEXT]}: it serves nothing until enabled") { request in
            try setDisabled(
                service: service, account: try request.requiredString("account"), disabled: true,
                reason: try request.string("reason") ?? Account.defaultDisabledReason)
        }
        router.register(
            "test", summary: "one minimal request to {\"account\":ID[,\"model\":M]} (disabled ones too), reported, never a warmup"
        ) { request in
            let account = try request.requiredString("account")
            let model = try request.string("model")
            let result = try await service.warmups.run(.test, accountID: account, model: model)
            service.logger.info(
                "account test of \(account): upstream answered HTTP \(result["status"]?.intValue ?? 0)", metadata: ["account": "\(account)"])
            return result
        }
        router.register("warmup", summary: "one minimal request pinned to {\"account\":ID,\"model\":M}, bypassing selection and protection") {
            request in
            let account = try request.requiredAccountID()
            let model = try request.requiredString("model")
            let result = try await service.warmups.warm(accountID: account, model: model)
            service.logger.info("warmup of \(model) on \(account) succeeded", metadata: ["account": "\(account)", "model": "\(model)"])
            return result
        }
    }
}

import QuotaRuntime

/// `enable` / `disable`: writes the account file (the same edit as `quota-proxyctl accounts
/// enable|disable` makes when the proxy is not running) and reloads it into routing.
private func setDisabled(service: ProxyService, account id: String, disabled: Bool, reason: String?) throws -> JSONValue {
    guard Account.isValidID(id) else {
        throw ControlError(code: .invalidArgument, message: "\"\(id)\" is not an account id (A–Z a–z 0–9 . _ -)")
    }
    if let reason, reason.utf8.count > 512 {
        throw ControlError(code: .invalidArgument, message: "the reason is longer than 512 bytes")
    }
    let updated: Account?
    do {
        updated = try service.context.stateDirectory.accounts.update(id: id) { account in
            account.setDisabled(disabled, reason: reason)
        }
    } catch {
        throw ControlError(code: .failed, message: "cannot write the file of \(id): \(error)")
    }
    guard let updated else { throw ControlError(code: .notFound, message: "account \(id) not found") }
    service.reloadAccounts()
    service.logger.notice(
        "\(id) \(disabled ? "disabled" : "enabled") by an operator\(reason.map { ": \($0)" } ?? "")", metadata: ["account": "\(id)"])
    return ["account": .string(id), "disabled": .bool(updated.disabled), "disabled_reason": updated.disabledReason.map(JSONValue.string) ?? .null]
}
