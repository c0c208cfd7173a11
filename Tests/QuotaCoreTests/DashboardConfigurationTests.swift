import Foundation
import Testing

@testable import QuotaCore

/// `admin_api_keys` and `dashboard.*` (issue 18).
@Suite("Dashboard configuration")
struct DashboardConfigurationTests: ConfigurationParsing {
    @Test func defaultsAreOnWithoutKeys() throws {
        let config = try parse("{}")
        #expect(config.adminAPIKeys.isEmpty)
        #expect(config.dashboard.enabled)
        #expect(config.dashboard.assetsDirectory == nil)
    }

    @Test func fileAndEnvironment() throws {
        let config = try parse(
            #"{"admin_api_keys": ["admin-one-0001"], "dashboard": {"enabled": false, "assets_dir": "/srv/dash"}}"#)
        #expect(config.adminAPIKeys == ["admin-one-0001"])
        #expect(!config.dashboard.enabled)
        #expect(config.dashboard.assetsDirectory == "/srv/dash")
        let fromEnvironment = try parse(
            "{}",
            environment: [
                "QUOTA_PROXY_ADMIN_API_KEYS": "admin-a-000001, admin-b-000002", "QUOTA_PROXY_DASHBOARD_ENABLED": "false",
                "QUOTA_PROXY_DASHBOARD_ASSETS_DIR": "/opt/dash",
            ])
        #expect(fromEnvironment.adminAPIKeys == ["admin-a-000001", "admin-b-000002"])
        #expect(!fromEnvironment.dashboard.enabled)
        #expect(fromEnvironment.dashboard.assetsDirectory == "/opt/dash")
    }

    /// A key in both lists is refused, naming both positions and never the key.
    @Test func aKeyInBothListsIsAnErrorThatNamesPositionsNotTheKey() {
        let found = problems(#"{"client_api_keys": ["client-0001", "shared-secret-42"], "admin_api_keys": ["admin-0001", "shared-secret-42"]}"#)
        #expect(found.map(\.key) == ["admin_api_keys[1]"])
        #expect(found.first?.message.contains("client_api_keys[1]") == true)
        #expect(!found.description.contains("shared-secret-42"))
        let error = (try? parse(#"{"client_api_keys": ["shared-secret-42"], "admin_api_keys": ["shared-secret-42"]}"#)) == nil
        #expect(error)
        // API_TOKEN joins the client keys first, so it is caught too.
        let viaEnvironment = problems(#"{"admin_api_keys": ["token-from-env"]}"#, environment: ["API_TOKEN": "token-from-env"])
        #expect(viaEnvironment.map(\.key) == ["admin_api_keys[0]"])
        #expect(!viaEnvironment.description.contains("token-from-env"))
    }

    @Test(arguments: [
        (#"{"admin_api_keys": [""]}"#, "admin_api_keys"),
        (#"{"admin_api_keys": "one"}"#, "admin_api_keys"),
        (#"{"admin_api_keys": ["a-admin-1", "a-admin-1"]}"#, "admin_api_keys[1]"),
        (#"{"dashboard": {"enabled": "yes"}}"#, "dashboard.enabled"),
        (#"{"dashboard": {"assets_dir": "relative/path"}}"#, "dashboard.assets_dir"),
        (#"{"dashboard": {"port": 1}}"#, "dashboard.port"),
    ])
    func badValuesNameTheirKey(json: String, key: String) {
        #expect(problems(json).map(\.key).contains(key), "\(problems(json))")
    }

    @Test func adminRoutesMatchAnyMethod() {
        for (method, path) in [("GET", "/dashboard"), ("GET", "/dashboard/"), ("GET", "/dashboard/dashboard.js"), ("POST", "/admin/api/warmup"), ("DELETE", "/admin/api/x")] {
            #expect(ProxyRoute(method: method, path: Substring(path)) == .admin, "\(method) \(path)")
        }
        #expect(ProxyRoute(method: "GET", path: "/dashboardx") == nil)
        #expect(ProxyRoute(method: "GET", path: "/admin/api") == nil)
        #expect(ProxyRoute.admin.operation == nil)
    }
}
