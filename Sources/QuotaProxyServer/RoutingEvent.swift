import QuotaCore

/// A change to routing state that every event loop must apply to its copy.
///
/// Each event loop owns a ``LoopRouting`` (selector, cooldowns, connections), so the request path
/// takes no lock; what one loop learns (an account is exhausted, its quota fell) is sent to the
/// others as an event.
enum RoutingEvent: Sendable {
    case quotaExhausted(account: String, group: String, resetAt: Date?)
    case rateLimited(account: String, group: String, until: Date?)
    case serviceFailure(account: String)
    case authFailure(account: String)
    /// Clears failure counters after a success on an account that had failures.
    case success(account: String, group: String)
    /// Limit windows seen in an answer for `model` (headers or error body), with the protection
    /// groups they imply (SPEC 2.6); each loop merges them into its copy of the account.
    case quotaObserved(account: String, model: String, windows: [QuotaWindow], protectedGroups: [String])
    /// A rate-limit window ran out: pace the group (or, with `nil`, the whole account) until then.
    case paced(account: String, group: String?, until: Date)
    case clearCooldown(account: String, group: String?)
    case accountsChanged(AccountChanges)
    case settingsChanged(RoutingSettings)
}

/// Accounts added, replaced or removed since the last load.
struct AccountChanges: Sendable {
    /// The full new list, when the pool must be rebuilt (accounts added or removed).
    var replacement: [Account]?
    /// Accounts whose file changed in place.
    var updated: [Account] = []
}

import Foundation
