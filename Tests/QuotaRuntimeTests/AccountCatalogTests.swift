import Foundation
import Logging
import QuotaCore
import QuotaState
import QuotaTestSupport
import Testing

@testable import QuotaRuntime

/// The proxy's live-quota writes must not hide an operator's edit of the same file.
@Suite("Account catalog")
struct AccountCatalogTests {
    @Test func aQuotaWriteOverAnEditedFileStillReportsTheEdit() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let state = StateDirectory(path: try dir.subdirectory("state"))
        try state.prepare()
        let store = state.accounts
        try store.save(Account(id: "acc", provider: .openai, baseURL: "https://a.example/v1", credentials: .apiKey("sk-old-key-0001")))
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
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let state = StateDirectory(path: try dir.subdirectory("state"))
        try state.prepare()
        let store = state.accounts
        try store.save(Account(id: "acc", provider: .openai, baseURL: "https://a.example/v1", credentials: .apiKey("sk-old-key-0001")))
        let catalog = AccountCatalog(store: store, logger: Logger(label: "test"))
        let merged = try #require(try store.update(id: "acc") { $0.quota.lastUpdated = Date() })
        catalog.noteWritten(merged)
        #expect(catalog.refresh().isEmpty)
        #expect(catalog.account(id: "acc")?.quota.lastUpdated != nil)
    }
}
