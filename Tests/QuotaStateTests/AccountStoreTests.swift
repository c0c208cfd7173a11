import Foundation
import Glibc
import QuotaCore
import QuotaTestSupport
import Testing

@testable import QuotaState

@Suite("Account files")
struct AccountStoreTests {
    static let example = """
        {"id": "acc-1", "label": "alice@example.com", "provider": "openai",
         "base_url": "https://api.example.com", "tier": "primary",
         "credentials": {"api_key": "sk-abcdefghijklmnop"},
         "quota_source": {"kind": "headers"},
         "models": ["gpt-4o-mini", "claude-sonnet-4-5"],
         "quota": {"models": [{"name": "gpt-4o-mini", "percentage": 80,
                               "reset_time": "2026-11-22T18:00:00Z"}],
                   "last_updated": 1795000000, "is_forbidden": false},
         "protected_models": [], "disabled": false, "disabled_reason": null}
        """

    @Test func specExampleLoadsAndRoundTrips() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = StateDirectory(path: dir.path)
        try store.prepare()
        try Data(Self.example.utf8).write(to: URL(fileURLWithPath: store.accountsPath + "/acc-1.json"))
        let result = store.accounts.loadAll()
        #expect(result.problems.isEmpty)
        let account = try #require(result.accounts.first)
        #expect(account.id == "acc-1")
        #expect(account.credentials == .apiKey("sk-abcdefghijklmnop"))
        #expect(account.quota.models == [ModelQuota(name: "gpt-4o-mini", percentage: 80, resetTime: Timestamp.parse("2026-11-22T18:00:00Z"))])
        #expect(account.quota.lastUpdated == Date(timeIntervalSince1970: 1_795_000_000))

        try store.accounts.save(account)
        #expect(try store.accounts.file(for: "acc-1").read() == account)
        var info = stat()
        stat(store.accountsPath + "/acc-1.json", &info)
        #expect(info.st_mode & 0o777 == 0o600)
    }

    @Test func badFilesAreReportedAndSkippedNotDeleted() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = StateDirectory(path: dir.path)
        try store.prepare()
        let accounts = store.accountsPath
        try Data(Self.example.utf8).write(to: URL(fileURLWithPath: accounts + "/acc-1.json"))
        try Data("{broken".utf8).write(to: URL(fileURLWithPath: accounts + "/broken.json"))
        try Data(Self.example.utf8).write(to: URL(fileURLWithPath: accounts + "/other-name.json"))
        let badURL = Self.example.replacingOccurrences(of: "\"acc-1\"", with: "\"acc-3\"")
            .replacingOccurrences(of: "https://api.example.com", with: "ftp://nope")
        try Data(badURL.utf8).write(to: URL(fileURLWithPath: accounts + "/acc-3.json"))

        let result = store.accounts.loadAll()
        #expect(result.accounts.map(\.id) == ["acc-1"])
        #expect(result.problems.count == 3)
        #expect(result.problems.contains { $0.path.hasSuffix("broken.json") && $0.message.contains("broken.json") })
        #expect(result.problems.contains { $0.message.contains("holds account id \"acc-1\" but is named other-name.json") })
        #expect(result.problems.contains { $0.message.contains("base_url") })
        // Nothing was removed from disk.
        #expect(FileManager.default.fileExists(atPath: accounts + "/broken.json"))
        #expect(FileManager.default.fileExists(atPath: accounts + "/other-name.json"))
    }

    @Test func updateAndRemove() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = StateDirectory(path: dir.path)
        try store.prepare()
        let account = Account(id: "a", provider: .anthropic, baseURL: "http://127.0.0.1:1", credentials: .apiKey("k-123456789012"))
        try store.accounts.save(account)
        let fingerprint = store.accounts.fingerprint()
        let updated = try store.accounts.update(id: "a") { $0.protectedModels = ["claude-sonnet-4-5"] }
        #expect(updated?.protectedModels == ["claude-sonnet-4-5"])
        #expect(store.accounts.fingerprint() != fingerprint)
        #expect(try store.accounts.update(id: "missing") { $0.disabled = true } == nil)
        #expect(try store.accounts.remove(id: "a"))
        #expect(try store.accounts.remove(id: "a") == false)
        #expect(store.accounts.loadAll().accounts.isEmpty)
    }

    @Test func oauthCredentialsAndDefaults() throws {
        let json = """
            {"id":"o","provider":"anthropic","base_url":"https://x.example",
             "credentials":{"access_token":"at-1234567890ab","refresh_token":"rt-1234567890ab","expires_at":1795000000,"token_url":"https://x.example/token"}}
            """
        let account = try JSONDecoder().decode(Account.self, from: Data(json.utf8))
        #expect(account.tier == .primary)
        #expect(account.quotaSource == .headers)
        #expect(account.models == nil)
        #expect(account.serves(model: "anything"))
        guard case .oauth(let oauth) = account.credentials else {
            Issue.record("expected oauth credentials")
            return
        }
        #expect(oauth.expiresAt == Date(timeIntervalSince1970: 1_795_000_000))
        #expect(account.credentials.masked == "at-1…90ab")
        #expect(account.validationProblem() == nil)
    }

    @Test func historyAndAnonymousFilesKeepTheirShape() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let state = StateDirectory(path: dir.path)
        try state.prepare()
        var history = WarmupHistory()
        history.record(account: "acc-1", model: "gemini-3-flash", at: Date(timeIntervalSince1970: 1_795_000_000))
        try state.warmupHistory.write(history)
        let text = try String(contentsOfFile: dir.path + "/warmup_history.json", encoding: .utf8)
        #expect(text.contains("\"acc-1:gemini-3-flash:100\" : 1795000000"))
        try state.anonymous.write(AnonymousMintState(lastAttempt: Date(timeIntervalSince1970: 100), cooldownUntil: nil))
        #expect(try state.anonymous.read() == AnonymousMintState(lastAttempt: Date(timeIntervalSince1970: 100)))
    }

    @Test func stateFolderResolution() {
        #expect(StateDirectory.resolve(flag: "/x/", environment: ["STATE_DIRECTORY": "/y"]).path == "/x")
        #expect(StateDirectory.resolve(flag: nil, environment: ["STATE_DIRECTORY": "/y:/z"]).path == "/y")
        #expect(StateDirectory.resolve(flag: nil, environment: [:]).path == "/var/lib/quota-proxy")
    }
}
