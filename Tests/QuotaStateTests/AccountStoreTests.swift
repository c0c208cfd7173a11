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

/// Account files written by 0.1.0 (`quota.models`, no `quota.windows`) keep working (SPEC 2.6).
@Suite struct WindowMigrationTests {
    /// The example account of SPEC.md §3 and README "Accounts", exactly.
    static let example = """
        {"id": "acc-1", "label": "alice@example.com", "provider": "openai",
         "base_url": "https://api.example.com", "tier": "primary",
         "credentials": {"api_key": "sk-..."},
         "quota_source": {"kind": "headers"},
         "models": ["gpt-4o-mini", "claude-sonnet-4-5"],
         "quota": {"models": [{"name": "gpt-4o-mini", "percentage": 80,
                               "reset_time": "2026-11-22T18:00:00Z"}],
                   "last_updated": 1795000000, "is_forbidden": false},
         "protected_models": [], "disabled": false, "disabled_reason": null}
        """

    @Test func theSpecExampleLoadsWithItsFigureAsAWindowAndKeepsQuotaModels() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = StateDirectory(path: dir.path)
        try store.prepare()
        try Data(Self.example.utf8).write(to: URL(fileURLWithPath: store.accountsPath + "/acc-1.json"))
        let account = try #require(store.accounts.loadAll().accounts.first)
        let reset = Timestamp.parse("2026-11-22T18:00:00Z")
        // The reset lies days after last_updated: a quota window, so quota.models is unchanged.
        #expect(account.quota.models == [ModelQuota(name: "gpt-4o-mini", percentage: 80, resetTime: reset)])
        #expect(account.quota.windows.count == 1)
        #expect(account.quota.windows.first?.kind == .quota)
        #expect(account.quota.windows.first?.model == "gpt-4o-mini")
        #expect(account.quota.windows.first?.source == .headers)

        try store.accounts.save(account)
        let text = try String(contentsOfFile: store.accountsPath + "/acc-1.json", encoding: .utf8)
        #expect(text.contains("\"windows\""))
        #expect(text.contains("\"models\""))
        #expect(try store.accounts.file(for: "acc-1").read() == account)
    }

    @Test func aPerMinuteFigureOfAnOldHeadersFileBecomesARateLimitThatNeverProtects() throws {
        // 0.1.0 wrote this from x-ratelimit headers (reset six minutes after last_updated).
        let old = Self.example
            .replacingOccurrences(of: "\"percentage\": 80", with: "\"percentage\": 5")
            .replacingOccurrences(of: "2026-11-22T18:00:00Z", with: "2026-11-18T11:12:40Z")
        let account = try JSONDecoder().decode(Account.self, from: Data(old.utf8))
        #expect(account.quota.windows.map(\.kind) == [.rateLimit])
        #expect(account.quota.models.isEmpty)
        #expect(ProtectionEvaluator(configuration: QuotaProxyConfiguration()).evaluate(account).protectedModels.isEmpty)
    }

    @Test func anOldPolledFileKeepsProtecting() throws {
        let old = Self.example
            .replacingOccurrences(of: #""quota_source": {"kind": "headers"}"#, with: #""quota_source": {"kind": "antigravity", "url": "https://q.example.com"}"#)
            .replacingOccurrences(of: "\"percentage\": 80", with: "\"percentage\": 5")
        let account = try JSONDecoder().decode(Account.self, from: Data(old.utf8))
        #expect(account.quota.windows.map(\.source) == [.antigravity])
        #expect(account.quota.models.map(\.percentage) == [5])
        #expect(ProtectionEvaluator(configuration: QuotaProxyConfiguration()).evaluate(account).protectedModels == ["gpt-4o-mini"])
    }
}
