import Logging
import NIOCore
import QuotaCore

/// What the request path may call outside itself; none of it runs on the hot path of a
/// successful request.
struct ProxyHooks: Sendable {
    var logger: Logger
    /// An upstream answered 401 for this account: ask the refresher to renew its token.
    var authFailed: @Sendable (_ accountID: String) -> Void
    /// No primary account can serve a model: try to mint an anonymous fallback credential.
    /// Completes with `true` when a new account was added to the pool.
    var mintFallback: @Sendable (_ provider: Provider, _ eventLoop: any EventLoop) -> EventLoopFuture<Bool>
    /// A `gemini-code-assist` account without `project_id`: discover its project (once per account,
    /// saved in its file). Completes with the project, or why there is none.
    var discoverProject: @Sendable (_ account: Account, _ eventLoop: any EventLoop) -> EventLoopFuture<Result<String, ProjectDiscovery.DiscoveryError>>
    /// The dashboard and its admin API (`/dashboard/…`, `/admin/api/…`).
    var admin: AdminRouter
}
