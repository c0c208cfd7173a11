import Foundation

@testable import QuotaCore

let fixtureEpoch = Date(timeIntervalSince1970: 1_800_000_000)

func makePoolAccount(
    _ id: String,
    provider: Provider = .openai,
    tier: Tier = .primary,
    models: [String]? = nil,
    quota: [ModelQuota] = [],
    protected: [String] = [],
    disabled: Bool = false,
    forbidden: Bool = false
) -> Account {
    Account(
        id: id, provider: provider, baseURL: "https://api.example.com", tier: tier,
        credentials: .apiKey("sk-test-\(id)"), models: models,
        quota: AccountQuota(models: quota, isForbidden: forbidden),
        protectedModels: protected, disabled: disabled)
}

extension Selection {
    var pickedID: String? { selected?.id }
}
