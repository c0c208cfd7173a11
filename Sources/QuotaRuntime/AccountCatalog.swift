import Logging
import QuotaCore
import QuotaState
import Synchronization

/// The accounts of the state folder as last loaded, reloaded when the folder changes.
///
/// Bad files are logged once per change (with their path and reason) and skipped; they stay on
/// disk. ``reloadIfChanged()`` costs one `stat` per account file, so it can run every few seconds.
public final class AccountCatalog: Sendable {
    public struct Snapshot: Sendable {
        public var accounts: [Account]
        public var problems: [StateFileProblem]
        public var fingerprint: Int
    }

    public let store: AccountStore
    let logger: Logger
    private let state: Mutex<Snapshot>

    public init(store: AccountStore, logger: Logger) {
        self.store = store
        self.logger = logger
        self.state = Mutex(Snapshot(accounts: [], problems: [], fingerprint: 0))
        reload()
    }

    public var snapshot: Snapshot {
        state.withLock { $0 }
    }

    /// Re-reads every account file. Returns the new snapshot.
    @discardableResult
    public func reload() -> Snapshot {
        let fingerprint = store.fingerprint()
        let result = store.loadAll()
        for problem in result.problems {
            logger.error("\(problem.message)", metadata: ["file": "\(problem.path)"])
        }
        let snapshot = Snapshot(accounts: result.accounts, problems: result.problems, fingerprint: fingerprint)
        state.withLock { $0 = snapshot }
        return snapshot
    }

    /// Re-reads the accounts only when the folder changed since the last load.
    /// Returns the new snapshot, or `nil` when nothing changed.
    public func reloadIfChanged() -> Snapshot? {
        let fingerprint = store.fingerprint()
        guard fingerprint != state.withLock({ $0.fingerprint }) else { return nil }
        return reload()
    }

    /// "12 accounts" / "12 accounts, 1 file skipped".
    public var summary: String {
        let snapshot = self.snapshot
        var line = "\(snapshot.accounts.count) account\(snapshot.accounts.count == 1 ? "" : "s")"
        if !snapshot.problems.isEmpty {
            line += ", \(snapshot.problems.count) file\(snapshot.problems.count == 1 ? "" : "s") skipped"
        }
        return line
    }

    /// The accounts as operators may see them: secrets masked.
    public func maskedListing() -> JSONValue {
        let snapshot = self.snapshot
        return [
            "accounts": .array(snapshot.accounts.map(AccountCatalog.maskedJSON)),
            "skipped_files": .array(snapshot.problems.map { ["path": .string($0.path), "reason": .string($0.message)] }),
        ]
    }

    /// One account as JSON with its credentials replaced by their masked form.
    public static func maskedJSON(_ account: Account) -> JSONValue {
        var object: [String: JSONValue] = [
            "id": .string(account.id),
            "provider": .string(account.provider.rawValue),
            "base_url": .string(account.baseURL),
            "tier": .string(account.tier.rawValue),
            "secret": .string(account.credentials.masked),
            "quota_source": .string(account.quotaSource.kind.rawValue),
            "disabled": .bool(account.disabled),
            "protected_models": .array(account.protectedModels.map(JSONValue.string)),
            "quota": .array(
                account.quota.models.map { model in
                    [
                        "name": .string(model.name), "percentage": .number(model.percentage),
                        "reset_time": model.resetTime.map { .string(Timestamp.format($0)) } ?? .null,
                    ]
                }),
            "is_forbidden": .bool(account.quota.isForbidden),
        ]
        object["label"] = account.label.map(JSONValue.string) ?? .null
        object["models"] = account.models.map { .array($0.map(JSONValue.string)) } ?? .null
        object["disabled_reason"] = account.disabledReason.map(JSONValue.string) ?? .null
        object["quota_last_updated"] = account.quota.lastUpdated.map { .string(Timestamp.format($0)) } ?? .null
        return .object(object)
    }
}
