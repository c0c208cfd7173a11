import Foundation
import NIOHTTP1
import QuotaCore
import Synchronization

/// Answers `/dashboard/…` (the page's files, from memory) and `/admin/api/…` (JSON, with an admin
/// key), handed over by ``ProxyRequestHandler``.
///
/// Access: the API needs `Authorization: Bearer KEY` (or `x-api-key`) with a key of
/// `admin_api_keys`, compared in constant time; client keys are never admin keys. No admin key
/// configured: 403 saying how to set one. `dashboard.enabled: false`: 404 for both.
final class AdminRouter: Sendable {
    struct Settings: Sendable {
        var enabled: Bool
        var authenticator: ClientKeyAuthenticator
        var hasKeys: Bool
        var assets: DashboardAssets
        /// The configuration file, for the "how to set a key" message.
        var configurationPath: String

        init(configuration: QuotaProxyConfiguration, configurationPath: String, assets: DashboardAssets) {
            enabled = configuration.dashboard.enabled
            authenticator = ClientKeyAuthenticator(keys: configuration.adminAPIKeys)
            hasKeys = !configuration.adminAPIKeys.isEmpty
            self.assets = assets
            self.configurationPath = configurationPath
        }
    }

    private let settings: Mutex<Settings>
    let api: AdminAPI

    /// The largest request body the admin API reads.
    static let maximumBodyBytes = 64 << 10

    init(settings: Settings, api: AdminAPI) {
        self.settings = Mutex(settings)
        self.api = api
    }

    /// Applies a reloaded configuration (keys, on/off, the page's files read again).
    func reconfigure(_ settings: Settings) {
        self.settings.withLock { $0 = settings }
    }

    var currentSettings: Settings { settings.withLock { $0 } }

    func respond(to request: AdminRequest) async -> AdminResponse {
        let settings = currentSettings
        guard settings.enabled else {
            return .error(.notFound, code: "not_found", "the dashboard is turned off (dashboard.enabled is false)")
        }
        if request.path == "/dashboard" || request.path.hasPrefix("/dashboard/") {
            return serveFile(request, assets: settings.assets)
        }
        let prefix = "/admin/api/"
        guard request.path.hasPrefix(prefix) else {
            return .error(.notFound, code: "not_found", "no route for \(request.method) \(request.path)")
        }
        if let refusal = authenticate(request, settings: settings) { return refusal }
        if let body = request.body, body.count > Self.maximumBodyBytes {
            return .error(.payloadTooLarge, code: "request_too_large", "the request body exceeds \(Self.maximumBodyBytes / 1024) KiB")
        }
        let segments = request.path.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        return await api.respond(method: request.method, segments: segments, query: request.query, body: request.body ?? [])
    }

    /// `nil` when the request carries a valid admin key; else the refusal.
    func authenticate(_ request: AdminRequest, settings: Settings) -> AdminResponse? {
        guard settings.hasKeys else {
            return .error(
                .forbidden, code: "no_admin_key",
                "the admin API is off until an admin key is configured: add \"admin_api_keys\": [\"<a long random key>\"] to \(settings.configurationPath) (or set QUOTA_PROXY_ADMIN_API_KEYS), then reload the proxy (systemctl reload quota-proxy); an admin key must differ from every client key")
        }
        let key = ClientKeyAuthenticator.presentedKey(authorization: request.authorization, apiKey: request.apiKey)
        guard let key else {
            return .error(
                .unauthorized, code: "unauthorized", "missing admin key: send Authorization: Bearer KEY with a key of admin_api_keys",
                headers: [("www-authenticate", #"Bearer realm="quota-proxy admin""#)])
        }
        guard settings.authenticator.matchingIndex(key) != nil else {
            return .error(
                .unauthorized, code: "unauthorized", "invalid admin key (client keys are not admin keys)",
                headers: [("www-authenticate", #"Bearer realm="quota-proxy admin", error="invalid_token""#)])
        }
        return nil
    }

    /// The page's files: `/dashboard` redirects to `/dashboard/`, which is `index.html`.
    private func serveFile(_ request: AdminRequest, assets: DashboardAssets) -> AdminResponse {
        guard request.method == "GET" else {
            return .error(.methodNotAllowed, code: "method_not_allowed", "\(request.method) is not allowed on \(request.path)", headers: [("allow", "GET")])
        }
        if request.path == "/dashboard" {
            return AdminResponse(status: .permanentRedirect, contentType: "text/plain; charset=utf-8", headers: [("location", "/dashboard/")], body: Array("/dashboard/\n".utf8))
        }
        var name = String(request.path.dropFirst("/dashboard/".count))
        if name.isEmpty { name = "index.html" }
        guard DashboardAssets.files[name] != nil else {
            return .error(.notFound, code: "not_found", "no dashboard file \(request.path)")
        }
        if let problem = assets.problem, assets.file(name) == nil {
            return .error(.serviceUnavailable, code: "dashboard_unavailable", problem)
        }
        guard let (type, body) = assets.file(name) else {
            return .error(.notFound, code: "not_found", "no dashboard file \(request.path)")
        }
        return AdminResponse(status: .ok, contentType: type, body: body)
    }
}
