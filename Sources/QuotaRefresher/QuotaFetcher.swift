import Foundation
import QuotaCore

/// Where one account's quota figures come from (SPEC 2.5): one implementation per
/// `quota_source.kind`, so the refresher does not care how a source is asked.
protocol QuotaFetcher: Sendable {
    /// Asks the source for the account's current quota.
    func fetch(_ account: Account, now: Date) async -> QuotaFetchResult
}

/// What a quota source said about an account.
enum QuotaFetchResult: Sendable, Equatable {
    /// Fresh windows: replace the windows of the account's source with them (SPEC 2.6); with the
    /// model renames the source announced (`fetchAvailableModels`' `deprecatedModelIds`), if it can.
    case windows([QuotaWindow], renames: [String: String]? = nil)
    /// The source refused the account (403): mark it `is_forbidden`.
    case forbidden
    /// The credentials were refused (401): the token needs renewing.
    case unauthorized
    /// The source has no endpoint to poll (`headers`): the proxy records figures as it sees them.
    case passive
    /// Could not be asked right now (network, 5xx, timeout): keep the last known quota.
    case transientFailure(String)
    /// Answered with something that is not a valid quota document: change nothing, report it.
    case malformed(String)
}
