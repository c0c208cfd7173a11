import Logging
import QuotaCore
import Synchronization

/// Logs, once per account, where its chat requests go (`POST https://…/v1/chat/completions`), so an
/// operator sees a wrong `base_url` in the journal before the first 404. An account is logged again
/// only when its targets change (a new `base_url` or provider), never for a quota write. A batch
/// (the start, one reload) logs at most ``maximumLinesPerBatch`` accounts one by one and counts
/// the rest in one line, so 10,000 accounts do not flood the journal or slow the start.
final class AccountTargetLog: Sendable {
    /// The most accounts one batch logs one line each.
    static let maximumLinesPerBatch = 20
    /// A hash of each logged account's targets (not the URLs: 10,000 accounts would keep megabytes).
    private let logged = Mutex<[String: Int]>([:])
    let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    /// Logs the accounts whose targets were not logged yet, or changed; forgets `removed` ones.
    func note(_ accounts: [Account], removed: [String] = []) {
        let changed: [(Account, [String])] = logged.withLock { logged in
            for id in removed { logged[id] = nil }
            var changed: [(Account, [String])] = []
            for account in accounts {
                let targets = account.requestTargets()
                let hash = targets.hashValue
                if logged[account.id] != hash {
                    logged[account.id] = hash
                    changed.append((account, targets))
                }
            }
            return changed
        }
        for (account, targets) in changed.prefix(Self.maximumLinesPerBatch) {
            let fallbacks = targets.dropFirst().map { "; then \($0)" }.joined()
            logger.info(
                "account \(account.id) (\(account.provider.rawValue)): requests go to \(targets.first ?? "none")\(fallbacks)",
                metadata: ["account": "\(account.id)"])
        }
        if changed.count > Self.maximumLinesPerBatch {
            logger.info(
                "\(changed.count - Self.maximumLinesPerBatch) more accounts loaded or changed; `quota-proxyctl accounts show ID` prints where an account's requests go")
        }
    }
}
