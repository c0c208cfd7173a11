import Foundation
import Logging
import QuotaCore
import QuotaState
import ServiceLifecycle

/// Refreshes one account: renews its token when due, asks its quota source, applies Quota
/// Protection, and writes the account file — all under the folder lock at write time, applied to
/// the file as it is then (another process may have written it meanwhile).
struct AccountRefresher: Sendable {
    let store: AccountStore
    let tokens: TokenRenewer
    let pollingFetcher: any QuotaFetcher
    let logger: Logger
    /// Where quota changes are appended (`quota-history.jsonl`).
    let history: QuotaHistoryWriter

    /// The outcome of one refresh, for logs, status and tests.
    struct Report: Sendable, Equatable {
        var accountID: String
        var wrote = false
        var tokenRenewed = false
        var disabled = false
        var quota: String = "unchanged"
        var protectionChanges: [String] = []
    }

    func refresh(
        _ account: Account, configuration: QuotaProxyConfiguration, forceTokenRenewal: Bool, now: Date
    ) async -> Report {
        var report = Report(accountID: account.id)
        guard !account.disabled else {
            report.quota = "skipped (disabled)"
            return report
        }
        var credentials = account.credentials
        var disableReason: String?

        // 1. Credentials.
        if case .oauth(let oauth) = account.credentials,
            forceTokenRenewal
                || TokenRefreshPolicy.needsRefresh(oauth, now: now, leadSeconds: configuration.refresher.tokenRefreshLeadSeconds)
        {
            // The account's own client and token URL, else `providers.<name>.oauth` (never saved
            // into the file: a changed default applies on the next renewal).
            let resolved = configuration.defaults(for: account.provider).resolving(oauth)
            let result: Result<OAuthCredentials, OAuthRefreshError>
            if resolved.tokenURL.isEmpty {
                result = .failure(
                    .malformedResponse(
                        statusCode: 0,
                        problem: "no token URL: the account has no credentials.token_url and providers.\(account.provider.rawValue).oauth.token_url is not set"))
            } else {
                result = await tokens.renew(resolved, now: now)
            }
            switch result {
            case .success(var renewed):
                renewed.tokenURL = oauth.tokenURL
                renewed.clientID = oauth.clientID
                renewed.clientSecret = oauth.clientSecret
                credentials = .oauth(renewed)
                report.tokenRenewed = true
                logger.info(
                    "renewed the access token of \(account.id) (now \(credentials.masked), expires \(renewed.expiresAt.map(Timestamp.format) ?? "unknown"))\(renewed.refreshToken != oauth.refreshToken ? "; refresh token rotated" : "")",
                    metadata: ["account": "\(account.id)"])
            case .failure(let error) where error.disablesAccount:
                disableReason = "token refresh failed: \(error) (re-authorize the account and re-enable it)"
                logger.error("disabling \(account.id): \(error)", metadata: ["account": "\(account.id)"])
            case .failure(let error):
                logger.warning("cannot renew the token of \(account.id) now: \(error); will retry", metadata: ["account": "\(account.id)"])
            }
        }

        // 2. Quota, asked with the (possibly renewed) credentials.
        var fetched: QuotaFetchResult = .passive
        if disableReason == nil {
            var asking = account
            asking.credentials = credentials
            // Headers of the account, then its provider's defaults (only for this poll, not saved).
            let headers = configuration.defaults(for: account.provider).headers(for: account.extraHeaders)
            asking.extraHeaders = Dictionary(headers.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
            // A poll is given up on SIGTERM (a token renewal above never is: a rotated refresh
            // token must be saved); the credentials are still written below.
            fetched =
                account.quotaSource.kind == .headers
                ? .passive : await cancelWhenGracefulShutdown { [pollingFetcher, asking] in await pollingFetcher.fetch(asking, now: now) }
        }
        switch fetched {
        case .windows(let windows, _): report.quota = "\(windows.count) window(s)"
        case .forbidden: report.quota = "forbidden (403)"
        case .unauthorized: report.quota = "unauthorized (401)"
        case .passive: report.quota = "from proxied answers"
        case .transientFailure(let reason):
            report.quota = "kept last known (\(reason))"
            logger.warning("quota of \(account.id) not refreshed, keeping the last known figures: \(reason)", metadata: ["account": "\(account.id)"])
        case .malformed(let reason):
            report.quota = "unchanged (malformed answer)"
            logger.error("quota source of \(account.id) answered something unusable, nothing changed: \(reason)", metadata: ["account": "\(account.id)"])
        }

        // 3. Write: apply everything to the file as it is now.
        let evaluator = ProtectionEvaluator(configuration: configuration)
        var history: [QuotaHistoryRecord] = []
        do {
            let updated = try store.update(id: account.id) { current in
                let before = current
                if credentials != account.credentials { current.credentials = credentials }
                if let disableReason {
                    current.disabled = true
                    current.disabledReason = disableReason
                }
                switch fetched {
                case .windows(let fresh, let renames):
                    if let renames { current.modelRenames = renames }
                    let clamped = fresh.map { window -> QuotaWindow in
                        var window = window
                        window.resetTime = QuotaWindows.clampedReset(
                            window.resetTime, now: now, maxResetHintSeconds: configuration.routing.maxResetHintSeconds)
                        return window
                    }
                    current.quota = QuotaMerge.applying(
                        windows: clamped, source: QuotaWindow.Source(current.quotaSource.kind), to: current.quota,
                        knownModels: current.models ?? [], now: now)
                case .forbidden:
                    current.quota = QuotaMerge.markingForbidden(current.quota, now: now)
                default:
                    // Nothing polled (headers, or the source failed): windows still age — expired
                    // rate limits go, a header window past its reset is full again.
                    let windows = QuotaWindows.merge([], into: current.quota.windows, now: now)
                    let models = current.quota.models
                    current.quota.setWindows(windows, knownModels: current.models ?? [], now: now)
                    if current.quota.windows.isEmpty && current.quota.models.isEmpty && !models.isEmpty {
                        current.quota.models = models
                    }
                }
                let outcome = evaluator.evaluate(current)
                if outcome.needsWrite(comparedTo: current) {
                    current = outcome.applied(to: current)
                }
                report.protectionChanges = outcome.changes.map(\.message)
                if current == before { throw Unchanged() }
                history = QuotaHistoryChanges.records(
                    account: account.id, before: before.quota.windows, after: current.quota.windows, time: now, writer: .refresher)
            }
            report.wrote = updated != nil
        } catch is Unchanged {
            report.wrote = false
        } catch {
            logger.error("cannot save the refresh of \(account.id): \(error)", metadata: ["account": "\(account.id)"])
        }
        if report.wrote && !history.isEmpty {
            // quota-history.jsonl for the dashboard's timeline; only figures that changed.
            do {
                try self.history.append(history)
            } catch {
                logger.error("cannot append to the quota history: \(error)", metadata: ["account": "\(account.id)"])
            }
        }
        report.disabled = disableReason != nil
        for message in report.protectionChanges {
            logger.notice("\(message)", metadata: ["account": "\(account.id)"])
        }
        return report
    }

    /// Thrown inside the update to skip a write that would change nothing.
    struct Unchanged: Error {}
}
