import Foundation
import Glibc
import Logging
import QuotaCore
import QuotaState
import QuotaTestSupport
import Testing

@testable import QuotaRuntime

/// The proxy's live-quota writes must not hide an operator's edit of the same file.
@Suite("Account catalog")
struct AccountCatalogTests {
    /// A state folder with one account `acc` (an API key account with `key`).
    static func folder(key: String) throws -> (TemporaryDirectory, AccountStore) {
        let dir = try TemporaryDirectory()
        let state = StateDirectory(path: try dir.subdirectory("state"))
        try state.prepare()
        try state.accounts.save(Account(id: "acc", provider: .openai, baseURL: "https://a.example/v1", credentials: .apiKey(key)))
        return (dir, state.accounts)
    }

    @Test func aQuotaWriteOverAnEditedFileStillReportsTheEdit() throws {
        let (dir, store) = try Self.folder(key: "sk-old-key-0001")
        defer { dir.remove() }
        let catalog = AccountCatalog(store: store, logger: Logger(label: "test"))
        #expect(catalog.account(id: "acc")?.credentials == .apiKey("sk-old-key-0001"))

        // The operator writes a new key; before the next refresh the proxy merges live quota into
        // the file (a read-modify-write, as QuotaFlusher does) and notes its write.
        try store.save(Account(id: "acc", provider: .openai, baseURL: "https://a.example/v1", credentials: .apiKey("sk-new-key-0002")))
        let merged = try #require(try store.update(id: "acc") { $0.quota.lastUpdated = Date() })
        catalog.noteWritten(merged)

        let changes = catalog.refresh()
        #expect(changes.updated.map(\.id) == ["acc"], "the edit reaches routing")
        #expect(catalog.account(id: "acc")?.credentials == .apiKey("sk-new-key-0002"))
    }

    @Test func aQuotaWriteOfAnUnchangedAccountIsNotReadBack() throws {
        let (dir, store) = try Self.folder(key: "sk-old-key-0001")
        defer { dir.remove() }
        let catalog = AccountCatalog(store: store, logger: Logger(label: "test"))
        let merged = try #require(try store.update(id: "acc") { $0.quota.lastUpdated = Date() })
        catalog.noteWritten(merged)
        #expect(catalog.refresh().isEmpty)
        #expect(catalog.account(id: "acc")?.quota.lastUpdated != nil)
    }

    /// An edit in place of the same size within one clock tick of the last read leaves inode, size
    /// and time as they were: a file that changed that recently is read once more.
    @Test func aSameSizeEditWithinOneTickIsSeen() throws {
        let (dir, store) = try Self.folder(key: "sk-key-wrong-0001")
        defer { dir.remove() }
        let path = store.directory + "/acc.json"
        let catalog = AccountCatalog(store: store, logger: Logger(label: "test"))
        #expect(catalog.refresh().isEmpty, "read again once, unchanged: nothing to report")

        // Rewritten in place with a key of the same length, its time set back to what it was.
        let before = try Self.times(path)
        let edited = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "sk-key-wrong-0001", with: "sk-key-right-0002")
        try Self.rewriteInPlace(path, edited, keeping: before)
        let after = try Self.times(path)
        #expect(after.tv_sec == before.tv_sec && after.tv_nsec == before.tv_nsec)

        let changes = catalog.refresh()
        #expect(changes.updated.map(\.id) == ["acc"])
        #expect(catalog.account(id: "acc")?.credentials == .apiKey("sk-key-right-0002"))
    }

    /// The cost side: a file last changed long ago is not read again while its stamp stands.
    @Test func anOldUnchangedFileIsNotReadAgain() throws {
        let (dir, store) = try Self.folder(key: "sk-key-aaaa-0001")
        defer { dir.remove() }
        let path = store.directory + "/acc.json"
        var old = try Self.times(path)
        old.tv_sec -= 60
        try Self.setTimes(path, old)
        let catalog = AccountCatalog(store: store, logger: Logger(label: "test"))
        let edited = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "sk-key-aaaa-0001", with: "sk-key-bbbb-0002")
        try Self.rewriteInPlace(path, edited, keeping: old)
        #expect(catalog.refresh().isEmpty)
        #expect(catalog.account(id: "acc")?.credentials == .apiKey("sk-key-aaaa-0001"))
    }

    static func times(_ path: String) throws -> timespec {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw POSIXError(.ENOENT) }
        return info.st_mtim
    }

    static func setTimes(_ path: String, _ time: timespec) throws {
        let times = [time, time]
        guard utimensat(AT_FDCWD, path, times, 0) == 0 else { throw POSIXError(.EIO) }
    }

    /// Writes `text` into the same inode (as some editors save), then restores `time`.
    static func rewriteInPlace(_ path: String, _ text: String, keeping time: timespec) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
        try setTimes(path, time)
    }
}
