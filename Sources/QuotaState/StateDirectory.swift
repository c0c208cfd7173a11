import Foundation
import QuotaCore
import Glibc

/// The layout of the shared state folder (`/var/lib/quota-proxy` by default):
///
/// ```
/// accounts/<id>.json        one file per account (0600)
/// warmup_history.json       Smart Warmup cooldowns (scheduler)
/// anonymous.json            anonymous-mint limits (proxy)
/// cooldowns.json            live exhaustion / rate-limit cooldowns (proxy)
/// requests/requests.jsonl   the request log, one JSON record per line (proxy; folder 0750, files 0640)
/// requests/requests.<n>.jsonl  rotated request logs, 1 the most recent (see ``RequestLogWriter``)
/// quota-history.jsonl       quota changes (proxy and refresher; rotated, see ``QuotaHistoryWriter``)
/// ```
public struct StateDirectory: Sendable {
    /// The default when neither `--state-dir` nor `$STATE_DIRECTORY` is given.
    public static let defaultPath = "/var/lib/quota-proxy"

    public let path: String

    public init(path: String) {
        self.path = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }

    /// `--state-dir`, else `$STATE_DIRECTORY` (systemd's `StateDirectory=`; the first entry when it
    /// lists several), else `/var/lib/quota-proxy`.
    public static func resolve(flag: String?, environment: [String: String]) -> StateDirectory {
        if let flag, !flag.isEmpty { return StateDirectory(path: flag) }
        if let fromSystemd = environment["STATE_DIRECTORY"]?.split(separator: ":").first, !fromSystemd.isEmpty {
            return StateDirectory(path: String(fromSystemd))
        }
        return StateDirectory(path: defaultPath)
    }

    public var accountsPath: String { path + "/accounts" }

    public var accounts: AccountStore { AccountStore(directory: accountsPath) }

    /// Smart Warmup cooldowns (read up to 16 MiB).
    public var warmupHistory: AtomicJSONFile<WarmupHistory> {
        AtomicJSONFile(path: path + "/warmup_history.json", mode: 0o640, maximumBytes: StateFileReader.bookFileLimit)
    }

    /// Anonymous-mint limits (read up to 64 KiB).
    public var anonymous: AtomicJSONFile<AnonymousMintState> {
        AtomicJSONFile(path: path + "/anonymous.json", mode: 0o640, maximumBytes: StateFileReader.smallFileLimit)
    }

    /// Live cooldowns of the proxy (exhausted, rate-limited, circuit-open, auth-failed accounts;
    /// read up to 16 MiB).
    public var cooldowns: AtomicJSONFile<CooldownBook> {
        AtomicJSONFile(path: path + "/cooldowns.json", mode: 0o640, maximumBytes: StateFileReader.bookFileLimit)
    }

    /// The request log folder, `requests/` (see ``RequestLogWriter`` and ``RequestLogReader``).
    public var requestLogPath: String { path + "/requests" }

    /// A reader of the request log.
    public var requestLog: RequestLogReader { RequestLogReader(directory: requestLogPath) }

    /// A writer of the request log (the proxy's; it creates `requests/` on its first append).
    public func requestLogWriter(maxFileBytes: Int = 10 * 1024 * 1024, maxFiles: Int = 5) -> RequestLogWriter {
        RequestLogWriter(directory: requestLogPath, maxFileBytes: maxFileBytes, maxFiles: maxFiles)
    }

    /// A writer of the quota history (`quota-history.jsonl`).
    public var quotaHistoryWriter: QuotaHistoryWriter { QuotaHistoryWriter(directory: path) }

    /// A reader of the quota history.
    public var quotaHistory: QuotaHistoryReader { QuotaHistoryReader(directory: path) }

    /// A state file of this folder by name, for state the core does not model (e.g. `cooldowns.json`).
    public func file<Value: Codable & Sendable>(
        named name: String, as type: Value.Type = Value.self, mode: mode_t = 0o640,
        maximumBytes: Int = StateFileReader.bookFileLimit
    ) -> AtomicJSONFile<Value> {
        AtomicJSONFile(path: path + "/" + name, mode: mode, maximumBytes: maximumBytes)
    }

    /// Creates the folder and `accounts/` when missing (0750 / 0700).
    public func prepare() throws(StateFileError) {
        for (folder, mode) in [(path, mode_t(0o750)), (accountsPath, mode_t(0o700))] {
            if mkdir(folder, mode) != 0 && errno != EEXIST {
                throw StateFileError.writeFailed(path: folder, step: "create folder", errno: errno)
            }
        }
    }

    /// A temporary file of ``AtomicJSONFile`` left behind by a writer that was killed mid-write.
    public struct StaleTemporaryFile: Sendable, Equatable {
        public var path: String
        /// The process that was writing it.
        public var writer: pid_t
        /// `nil` when it was deleted, else why it could not be.
        public var failure: String?
    }

    /// Deletes the temporary files (`.<name>.tmp-<pid>-<n>`, and nothing else) that writers killed
    /// mid-write left in the state folder and `accounts/`. A file whose writer is still alive is
    /// kept (it is being written right now) unless it is over an hour old.
    /// Services call this at start; the real files were never touched by such a leftover.
    @discardableResult
    public func removeStaleTemporaryFiles(now: Date = Date()) -> [StaleTemporaryFile] {
        var found: [StaleTemporaryFile] = []
        for folder in [path, accountsPath] {
            guard let dir = opendir(folder) else { continue }
            defer { closedir(dir) }
            while let entry = readdir(dir) {
                let name = withUnsafePointer(to: entry.pointee.d_name) {
                    $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
                }
                guard let writer = TemporaryFileName.writer(of: name) else { continue }
                let file = folder + "/" + name
                var info = stat()
                guard lstat(file, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
                let age = now.timeIntervalSince1970 - TimeInterval(info.st_mtim.tv_sec)
                let writerAlive = writer != getpid() && (kill(writer, 0) == 0 || errno == EPERM)
                if writer == getpid() || (writerAlive && age < 3600) { continue }
                if unlink(file) == 0 || errno == ENOENT {
                    found.append(StaleTemporaryFile(path: file, writer: writer, failure: nil))
                } else {
                    found.append(StaleTemporaryFile(path: file, writer: writer, failure: String(cString: strerror(errno))))
                }
            }
        }
        return found
    }
}
