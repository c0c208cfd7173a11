import Foundation
import QuotaCore
import Testing

/// The account file fields added for Gemini accounts (SPEC 2.7): extra headers, several base
/// URLs, the Code Assist project, and the OAuth client an operator supplies.
@Suite("Account file fields")
struct AccountFileTests {
    static let codeAssist = #"""
        {"id": "g-1", "provider": "gemini-code-assist",
         "base_urls": ["https://primary.example", "https://backup.example"],
         "credentials": {"access_token": "ya29.x", "refresh_token": "1//r", "token_url": "https://oauth2.example/token",
                         "client_id": "cid.apps.example", "client_secret": "shh"},
         "headers": {"User-Agent": "my-cli/1.0"}, "project_id": "proj-123"}
        """#

    @Test func codeAssistAccountReadsAndRoundTrips() throws {
        let account = try JSONDecoder().decode(Account.self, from: Data(Self.codeAssist.utf8))
        #expect(account.provider == .geminiCodeAssist)
        #expect(account.baseURL == "https://primary.example")
        #expect(account.allBaseURLs == ["https://primary.example", "https://backup.example"])
        #expect(account.extraHeaders == ["User-Agent": "my-cli/1.0"])
        #expect(account.projectID == "proj-123")
        guard case .oauth(let oauth) = account.credentials else {
            Issue.record("expected OAuth credentials")
            return
        }
        #expect(oauth.clientID == "cid.apps.example" && oauth.clientSecret == "shh")
        #expect(account.validationProblem() == nil)
        let again = try JSONDecoder().decode(Account.self, from: JSONEncoder().encode(account))
        #expect(again == account)
    }

    /// A 0.1 file gains no new keys when written back.
    @Test func oldFilesGainNothing() throws {
        let old = #"{"id":"acc-1","provider":"openai","base_url":"https://api.example.com","credentials":{"api_key":"sk-1"}}"#
        let account = try JSONDecoder().decode(Account.self, from: Data(old.utf8))
        let text = String(decoding: try JSONEncoder().encode(account), as: UTF8.self)
        for key in ["headers", "base_urls", "project_id", "client_id"] { #expect(!text.contains("\"\(key)\":"), "\(key)") }
    }

    @Test func aBaseURLIsRequired() {
        let none = #"{"id":"a","provider":"gemini","credentials":{"api_key":"k"}}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Account.self, from: Data(none.utf8)) }
    }

    @Test(arguments: [
        (["Authorization": "x"], "set by the proxy"),
        (["Host": "x"], "set by the proxy"),
        (["Bad Name": "x"], "not a valid header name"),
        (["X-Ok": "a\r\nInjected: 1"], "line break"),
    ])
    func badExtraHeadersAreRefused(headers: [String: String], problem: String) {
        var account = Account(id: "a", provider: .openai, baseURL: "https://x.example", credentials: .apiKey("k"))
        account.extraHeaders = headers
        #expect(account.validationProblem()?.contains(problem) == true)
    }

    @Test func badBaseURLListIsRefused() {
        var account = Account(id: "a", provider: .gemini, baseURL: "https://x.example", credentials: .apiKey("k"))
        account.baseURLs = ["ftp://nope"]
        #expect(account.validationProblem()?.contains("base_urls") == true)
    }
}
