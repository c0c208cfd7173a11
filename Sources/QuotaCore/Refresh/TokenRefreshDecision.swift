import Foundation

/// What the refresher should do about one account's credentials now.
public enum TokenRefreshDecision: Sendable, Equatable {
    /// A static API key: nothing to refresh.
    case notRefreshable
    /// The access token is good; re-check at `refreshAt` (expiry − lead), or never when the expiry
    /// is unknown.
    case fresh(refreshAt: Date?)
    /// Post the `refresh_token` grant now.
    case refreshNow
    /// A refresh is needed but there is no refresh token: the account needs operator action.
    case cannotRefresh
}
