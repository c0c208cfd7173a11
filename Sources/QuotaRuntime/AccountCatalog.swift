import Glibc
import Logging
import QuotaCore
import QuotaState
import Synchronization

/// The accounts of the state folder as last loaded, kept current cheaply.
///
/// ``refresh()`` costs one `lstat` per account file and reads only files whose inode, size or
/// modification time changed, so it can run every couple of seconds with thousands of accounts.
/// A file changed less than ``racyInterval`` before it was looked at is read again at the next
/// refresh even when those are unchanged (as git treats "racily clean" files): file times move
/// in clock ticks, so an edit in place of the same size within one tick leaves no other trace.
/// Bad files (corrupt, too large, a symbolic link, a FIFO or device, a name that is no account id)
/// are logged once per change (with their path and reason) and skipped; they stay on disk.
/// Reads never block: only regular files are opened (see ``StateFileReader``).
public final class AccountCatalog: Sendable {
    /// The loaded accounts (sorted by id) and the files that were skipped.
    public struct Snapshot: Sendable {
        public var accounts: [Account]
        public var problems: [StateFileProblem]
    }

    /// What changed in the folder since the previous load.
    public struct Changes: Sendable {
        public var added: [Account] = []
        public var updated: [Account] = []
        public var removed: [String] = []

        public var isEmpty: Bool { added.isEmpty && updated.isEmpty && removed.isEmpty }
        /// Whether the set of ids changed (not only contents).
        public var membershipChanged: Bool { !added.isEmpty || !removed.isEmpty }
    }

    private struct State {
        var accounts: [String: Account] = [:]
        var problems: [String: StateFileProblem] = [:]
        var stamps: [String: StateFileReader.FileIdentity] = [:]
        /// Files whose stamp was taken within ``racyInterval`` of their last change.
        var racy: Set<String> = []
    }

    /// How recent a change must be for its file to be read once more (longer than any file
    /// system's time granularity the services run on, but for FAT's 2 s).
    static let racyInterval = 1

    public let store: AccountStore
    let logger: Logger
    private let state = Mutex(State())

    public init(store: AccountStore, logger: Logger) {
        self.store = store
        self.logger = logger
        _ = refresh()
    }

    public var snapshot: Snapshot {
        state.withLock { state in
            Snapshot(
                accounts: state.accounts.values.sorted { $0.id < $1.id },
                problems: state.problems.values.sorted { $0.path < $1.path })
        }
    }

    public func account(id: String) -> Account? {
        state.withLock { $0.accounts[id] }
    }

    /// Re-reads the account files that changed since the last call and reports what changed.
    @discardableResult
    public func refresh() -> Changes {
        let ids: [String]
        do {
            ids = try store.accountIDs()
        } catch {
            logger.error("\(error.description)", metadata: ["file": "\(store.directory)"])
            return Changes()
        }
        let (current, racy) = state.withLock { ($0.stamps, $0.racy) }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var stamps: [String: StateFileReader.FileIdentity] = [:]
        var changedIDs: [String] = []
        /// Files read again only because they were racy: nothing is logged about them twice.
        var rereadIDs: Set<String> = []
        for id in ids {
            guard let stamp = stamp(of: id) else { continue }
            stamps[id] = stamp
            if current[id] != stamp {
                changedIDs.append(id)
            } else if racy.contains(id) {
                changedIDs.append(id)
                rereadIDs.insert(id)
            }
        }
        let removedIDs = current.keys.filter { stamps[$0] == nil }
        guard !changedIDs.isEmpty || !removedIDs.isEmpty else { return Changes() }
        // Files read now that changed within the racy interval are read once more next time.
        let stillRacy = Set(changedIDs.filter { now.tv_sec - stamps[$0]!.seconds <= Self.racyInterval })

        var loaded: [String: Result<Account?, StateFileProblem>] = [:]
        for id in changedIDs {
            let inspection = store.inspect(id: id)
            loaded[id] = inspection.result
            // Logged once per change of the file, like the problems below.
            if let warning = inspection.warning, !rereadIDs.contains(id) {
                logger.warning("\(warning.message)", metadata: ["file": "\(warning.path)"])
            }
        }

        return state.withLock { state in
            var changes = Changes()
            state.racy = stillRacy
            for id in removedIDs {
                if state.accounts.removeValue(forKey: id) != nil { changes.removed.append(id) }
                state.problems[id] = nil
                state.stamps[id] = nil
            }
            for id in changedIDs {
                state.stamps[id] = stamps[id]
                switch loaded[id] {
                case .success(let account?):
                    state.problems[id] = nil
                    if let known = state.accounts.updateValue(account, forKey: id) {
                        // A racy file read again may well be unchanged.
                        if known != account { changes.updated.append(account) }
                    } else {
                        changes.added.append(account)
                    }
                case .success(nil), .none:
                    if state.accounts.removeValue(forKey: id) != nil { changes.removed.append(id) }
                case .failure(let problem):
                    if !rereadIDs.contains(id) || state.problems[id] != problem {
                        logger.error("\(problem.message)", metadata: ["file": "\(problem.path)"])
                    }
                    state.problems[id] = problem
                    // A file that became invalid stops being used; the last good version is not
                    // silently kept, since the operator's edit is what is on disk now.
                    if state.accounts.removeValue(forKey: id) != nil { changes.removed.append(id) }
                }
            }
            return changes
        }
    }

    /// Notes a file this process just wrote, so the next ``refresh()`` does not read it back.
    ///
    /// Such a write (live quota) is a read-modify-write of what is on disk. When that had been
    /// edited by someone else since the last load (a new key, a new base URL), the stamp is left
    /// as it was, so the next ``refresh()`` reads the file and reports the account as updated;
    /// taking the stamp would hide the operator's edit from routing until the next one.
    public func noteWritten(_ account: Account) {
        guard let stamp = stamp(of: account.id) else { return }
        state.withLock { state in
            guard let known = state.accounts[account.id], Self.sameApartFromQuota(known, account) else { return }
            state.accounts[account.id] = account
            state.stamps[account.id] = stamp
            state.problems[account.id] = nil
            // Its contents are known (this process wrote them): not read back even though recent.
            state.racy.remove(account.id)
        }
    }

    /// Whether two versions of an account differ at most in what the proxy's quota writes change.
    static func sameApartFromQuota(_ first: Account, _ second: Account) -> Bool {
        var first = first
        first.quota = second.quota
        first.protectedModels = second.protectedModels
        return first == second
    }

    /// The file's own stamp (`lstat`: a symbolic link is judged as itself, never followed).
    private func stamp(of id: String) -> StateFileReader.FileIdentity? {
        StateFileReader.FileIdentity.current(path: "\(store.directory)/\(id).json")
    }

    /// "12 accounts" / "12 accounts, 1 file skipped".
    public var summary: String {
        let (count, skipped) = state.withLock { ($0.accounts.count, $0.problems.count) }
        var line = "\(count) account\(count == 1 ? "" : "s")"
        if skipped > 0 { line += ", \(skipped) file\(skipped == 1 ? "" : "s") skipped" }
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
            "credential_kind": .string({ if case .oauth = account.credentials { "oauth" } else { "api_key" } }()),
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
        if case .oauth(let oauth) = account.credentials {
            object["token_expires_at"] = oauth.expiresAt.map { .string(Timestamp.format($0)) } ?? .null
        }
        return .object(object)
    }
}
