import Testing

@testable import QuotaCore

/// The URL an operator is shown for an account (issue 15 item 1): `accounts show`, `accounts add`
/// and the proxy's log line.
@Suite("Account request targets")
struct AccountRequestTargetTests {
    @Test func eachProviderShowsItsChatURLWithoutDoubledSegments() {
        let cases: [(Provider, String, String?, String)] = [
            (.openai, "https://api.openai.com/v1", nil, "POST https://api.openai.com/v1/chat/completions"),
            (.openai, "https://api.openai.com", nil, "POST https://api.openai.com/v1/chat/completions"),
            (.openai, "https://openrouter.ai/api/v1/", nil, "POST https://openrouter.ai/api/v1/chat/completions"),
            (.anthropic, "https://api.anthropic.com", nil, "POST https://api.anthropic.com/v1/messages"),
            (.gemini, "https://generativelanguage.googleapis.com", "gemini-2.5-flash",
             "POST https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent"),
            (.gemini, "https://generativelanguage.googleapis.com", nil,
             "POST https://generativelanguage.googleapis.com/v1beta/models/MODEL:generateContent"),
        ]
        for (provider, baseURL, model, expected) in cases {
            let account = Account(
                id: "a", provider: provider, baseURL: baseURL, credentials: .apiKey("sk-secret-0001"), models: model.map { [$0] })
            #expect(account.requestTargets() == [expected], "\(provider) \(baseURL)")
        }
    }

    @Test func fallbackBaseURLsFollowInOrderAndCredentialsNeverShow() {
        var account = Account(
            id: "a", provider: .openai, baseURL: "https://one.example/v1", credentials: .apiKey("sk-secret-0001"))
        account.baseURLs = ["https://two.example/v1", "https://user:sk-inline@three.example/v1"]
        let targets = account.requestTargets()
        #expect(targets.count == 3)
        #expect(targets[0] == "POST https://one.example/v1/chat/completions")
        #expect(targets[1] == "POST https://two.example/v1/chat/completions")
        #expect(targets[2].hasPrefix("none: fallback base URL 2"))
        #expect(!targets.joined().contains("sk-"), "\(targets)")
    }
}
