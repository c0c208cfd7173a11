import Foundation
import Glibc
import QuotaCore

/// The `accounts/` folder: one ``Account`` per `<id>.json` file (mode 0600).
///
/// Loading never fails as a whole: a file that is unreadable, corrupt, or whose id does not match
/// its name is reported in ``AccountLoadResult/problems`` with its path and skipped, and stays on
/// disk untouched.
public struct AccountStore: Sendable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// The file of one account.
    public func file(for id: String) -> AtomicJSONFile<Account> {
        AtomicJSONFile(path: "\(directory)/\(id).json", mode: 0o600)
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
            switch load(id: id) {
            case .success(let account?): result.accounts.append(account)
            case .success(nil): continue  // removed between listing and reading
            case .failure(let problem): result.problems.append(problem)
            }
        }
        return result
    }

    /// Loads one account; `nil` when there is no such file.
    public func load(id: String) -> Result<Account?, StateFileProblem> {
        let file = file(for: id)
        do {
            guard let account = try file.read() else { return .success(nil) }
            if account.id != id {
                return .failure(
                    StateFileProblem(
                        path: file.path,
                        message: "\(file.path) holds account id \"\(account.id)\" but is named \(id).json; rename one of them"))
            }
            if let problem = account.validationProblem() {
                return .failure(StateFileProblem(path: file.path, message: "\(file.path) was skipped: \(problem)"))
            }
            return .success(account)
        } catch {
            return .failure(StateFileProblem(path: file.path, message: error.description))
        }
    }

    /// Atomically writes an account (creating or replacing its file).
    public func save(_ account: Account) throws(StateFileError) {
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
        try file(for: id).update { (value: inout Account?) -> Account? in
            guard var account = value else { return nil }
            try body(&account)
            value = account
            return account
        }
    }

    /// Deletes an account file; `false` when there was none.
    @discardableResult
    public func remove(id: String) throws(StateFileError) -> Bool {
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
            var info = stat()
            guard stat("\(directory)/\(id).json", &info) == 0 else { continue }
            hasher.combine(id)
            hasher.combine(info.st_ino)
            hasher.combine(info.st_size)
            hasher.combine(info.st_mtim.tv_sec)
            hasher.combine(info.st_mtim.tv_nsec)
        }
        return hasher.finalize()
    }
}

/// The accounts that loaded, and the files that did not.
public struct AccountLoadResult: Sendable {
    public var accounts: [Account] = []
    public var problems: [StateFileProblem] = []

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
