import Foundation
import Glibc
import QuotaCore

/// The `accounts/` folder: one ``Account`` per `<id>.json` file (mode 0600).
///
/// Loading never fails as a whole: a file that is unreadable, corrupt, or whose id does not match
/// its name is reported in ``AccountLoadResult/problems`` with its path and skipped, and stays on
/// disk untouched. Only regular files of at most 1 MiB are read, never through a symbolic link
/// (see ``StateFileReader``); a file that others may read (group or world bits set) is loaded
/// with a warning. Every operation checks the id first (``InvalidAccountID``), so no id can name
/// a path outside the folder.
public struct AccountStore: Sendable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// The file of one account. `id` must be valid (``Account/isValidID(_:)``); the operations
    /// below check it before using this.
    public func file(for id: String) -> AtomicJSONFile<Account> {
        AtomicJSONFile(path: "\(directory)/\(id).json", mode: 0o600, maximumBytes: StateFileReader.accountFileLimit)
    }

    /// Every account file's name (without `.json`), sorted.
    public func accountIDs() throws(StateFileError) -> [String] {
        guard let dir = opendir(directory) else {
            if errno == ENOENT { return [] }
            throw StateFileError.unreadable(path: directory, errno: errno)
        }
        defer { closedir(dir) }
        var ids: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            guard name.hasSuffix(".json"), !name.hasPrefix(".") else { continue }
            ids.append(String(name.dropLast(5)))
        }
        return ids.sorted()
    }

    /// Loads every account, reporting (not throwing on) bad files.
    public func loadAll() -> AccountLoadResult {
        var result = AccountLoadResult()
        let ids: [String]
        do {
            ids = try accountIDs()
        } catch {
            result.problems.append(StateFileProblem(path: directory, message: error.description))
            return result
        }
        for id in ids {
            let inspection = inspect(id: id)
            if let warning = inspection.warning { result.warnings.append(warning) }
            switch inspection.result {
            case .success(let account?): result.accounts.append(account)
            case .success(nil): continue  // removed between listing and reading
            case .failure(let problem): result.problems.append(problem)
            }
        }
        return result
    }

    /// Loads one account; `nil` when there is no such file.
    public func load(id: String) -> Result<Account?, StateFileProblem> {
        inspect(id: id).result
    }

    /// One account file as loaded: the account (or why it was skipped) and a warning about its
    /// permissions when others than its owner may read it.
    public struct Inspection: Sendable {
        public var result: Result<Account?, StateFileProblem>
        /// Set when the file loaded but is readable by its group or by everyone.
        public var warning: StateFileProblem?
    }

    /// Loads one account and checks its file's permissions (see ``Inspection``).
    public func inspect(id: String) -> Inspection {
        guard Account.isValidID(id) else {
            let path = "\(directory)/\(id).json"
            return Inspection(
                result: .failure(
                    StateFileProblem(
                        path: path, message: "\(path) was skipped: its name is not \"<account id>.json\" (\(InvalidAccountID(id: id)))")),
                warning: nil)
        }
        let file = file(for: id)
        do {
            guard let contents = try StateFileReader.read(path: file.path, limit: file.maximumBytes) else {
                return Inspection(result: .success(nil), warning: nil)
            }
            let account = try file.decode(contents.bytes)
            if account.id != id {
                return Inspection(
                    result: .failure(
                        StateFileProblem(
                            path: file.path,
                            message: "\(file.path) holds account id \"\(account.id)\" but is named \(id).json; rename one of them")),
                    warning: nil)
            }
            if let problem = account.validationProblem() {
                return Inspection(
                    result: .failure(StateFileProblem(path: file.path, message: "\(file.path) was skipped: \(problem)")), warning: nil)
            }
            var warning: StateFileProblem?
            if contents.permissions & 0o077 != 0 {
                let mode = String(contents.permissions, radix: 8)
                warning = StateFileProblem(
                    path: file.path,
                    message: "\(file.path) holds credentials but has mode 0\(mode) (others may read it); loaded anyway, run: chmod 600 \(file.path)")
            }
            return Inspection(result: .success(account), warning: warning)
        } catch {
            return Inspection(result: .failure(StateFileProblem(path: file.path, message: error.description)), warning: nil)
        }
    }

    /// Atomically writes an account (creating or replacing its file).
    public func save(_ account: Account) throws(StateFileError) {
        guard Account.isValidID(account.id) else { throw .invalidAccountID(directory: directory, id: account.id) }
        let file = file(for: account.id)
        do {
            try file.lock.withLock { try file.write(account) }
        } catch let error as StateFileError {
            throw error
        } catch {
            throw StateFileError.writeFailed(path: file.path, step: "lock", errno: EIO)
        }
    }

    /// Read-modify-write of one account under the folder lock. Returns the new account, or `nil`
    /// when the account does not exist (nothing is written then).
    @discardableResult
    public func update(id: String, _ body: (inout Account) throws -> Void) throws -> Account? {
        guard Account.isValidID(id) else { throw StateFileError.invalidAccountID(directory: directory, id: id) }
        return try file(for: id).update { (value: inout Account?) -> Account? in
            guard var account = value else { return nil }
            try body(&account)
            value = account
            return account
        }
    }

    /// Deletes an account file; `false` when there was none.
    @discardableResult
    public func remove(id: String) throws(StateFileError) -> Bool {
        guard Account.isValidID(id) else { throw .invalidAccountID(directory: directory, id: id) }
        let path = file(for: id).path
        if unlink(path) != 0 {
            if errno == ENOENT { return false }
            throw StateFileError.writeFailed(path: path, step: "unlink", errno: errno)
        }
        try AtomicJSONFile<Account>.syncDirectory(directory, path: path)
        return true
    }

    /// A cheap signature of the folder (names, sizes, modification times, inodes): when it changes,
    /// some account was added, removed or rewritten by another process.
    public func fingerprint() -> Int {
        var hasher = Hasher()
        guard let ids = try? accountIDs() else { return 0 }
        for id in ids {
            guard let identity = StateFileReader.FileIdentity.current(path: "\(directory)/\(id).json") else { continue }
            hasher.combine(id)
            hasher.combine(identity)
        }
        return hasher.finalize()
    }
}

/// The accounts that loaded, and the files that did not.
public struct AccountLoadResult: Sendable {
    public var accounts: [Account] = []
    public var problems: [StateFileProblem] = []
    /// Files that loaded but deserve the operator's attention (e.g. readable by others).
    public var warnings: [StateFileProblem] = []

    public init() {}
}

/// A state file that was skipped, with the operator-facing reason (which names the path).
public struct StateFileProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { message }
}
