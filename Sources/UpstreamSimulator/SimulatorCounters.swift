import Foundation

/// Counters that are not tied to one key.
///
/// JSON: `{"oauth_token_calls": 2, "mint_calls": 1, "unauthenticated_requests": 0}`.
public struct SimulatorCounters: Codable, Sendable, Equatable {
    /// Calls to `POST /oauth/token`, successful or not.
    public var oauthTokenCalls: Int
    /// Calls to `POST /anonymous/mint`, successful or not.
    public var mintCalls: Int
    /// Requests on authenticated routes that presented no key or an unknown one.
    public var unauthenticatedRequests: Int

    /// Zeroed counters.
    public init(oauthTokenCalls: Int = 0, mintCalls: Int = 0, unauthenticatedRequests: Int = 0) {
        self.oauthTokenCalls = oauthTokenCalls
        self.mintCalls = mintCalls
        self.unauthenticatedRequests = unauthenticatedRequests
    }

    enum CodingKeys: String, CodingKey {
        case oauthTokenCalls = "oauth_token_calls"
        case mintCalls = "mint_calls"
        case unauthenticatedRequests = "unauthenticated_requests"
    }
}
