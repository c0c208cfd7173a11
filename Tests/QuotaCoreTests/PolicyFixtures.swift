import Foundation
@testable import QuotaCore

/// A fixed "now": 2026-11-22T12:00:00Z.
let referenceNow = Date(timeIntervalSince1970: 1_795_348_800)

func makeAccount(
    _ id: String,
    models: [(String, Double)] = [],
    resets: [String: Date] = [:],
    source: QuotaSource = QuotaSource(kind: .antigravity, url: "https://quota.example.com"),
    lastUpdated: Date? = referenceNow,
    protected: [String] = [],
    disabled: Bool = false,
    forbidden: Bool = false,
    serves: [String]? = nil
) -> Account {
    Account(
        id: id, provider: .openai, baseURL: "https://api.example.com",
        credentials: .apiKey("sk-test-0123456789"), quotaSource: source, models: serves,
        quota: AccountQuota(
            models: models.map { ModelQuota(name: $0.0, percentage: $0.1, resetTime: resets[$0.0]) },
            lastUpdated: lastUpdated, isForbidden: forbidden),
        protectedModels: protected, disabled: disabled)
}

func json(_ text: String) -> Data { Data(text.utf8) }
