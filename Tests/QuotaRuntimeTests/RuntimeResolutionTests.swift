import Foundation
import QuotaCore
import QuotaTestSupport
import Testing

@testable import QuotaRuntime

@Suite("Runtime folders and configuration loading")
struct RuntimeResolutionTests {
    @Test func runtimeFolderResolution() {
        #expect(RuntimeDirectory.resolve(flag: "/a", environment: ["RUNTIME_DIRECTORY": "/b"]).path == "/a")
        #expect(RuntimeDirectory.resolve(flag: nil, environment: ["RUNTIME_DIRECTORY": "/b"]).path == "/b")
        #expect(RuntimeDirectory.resolve(flag: nil, environment: [:]).path == "/run/quota-proxy")
        let runtime = RuntimeDirectory(path: "/run/quota-proxy/")
        #expect(runtime.socketPath(for: .proxy) == "/run/quota-proxy/proxy.sock")
        #expect(runtime.socketPath(for: .scheduler) == "/run/quota-proxy/scheduler.sock")
        #expect(runtime.socketPath(for: .refresher) == "/run/quota-proxy/refresher.sock")
    }

    @Test func configurationFileResolution() {
        #expect(ConfigurationLoader(flag: "/x.json", environment: ["QUOTA_PROXY_CONFIG": "/y.json"]).path == "/x.json")
        #expect(ConfigurationLoader(flag: nil, environment: ["QUOTA_PROXY_CONFIG": "/y.json"]).path == "/y.json")
        let fallback = ConfigurationLoader(flag: nil, environment: [:])
        #expect(fallback.path == "/etc/quota-proxy/config.json")
        #expect(fallback.isExplicit == false)
    }

    @Test func anExplicitFileMustExist() throws {
        let loader = ConfigurationLoader(flag: "/nonexistent/quota-proxy.json", environment: [:])
        #expect {
            try loader.load()
        } throws: { error in
            "\(error)".contains("/nonexistent/quota-proxy.json") && "\(error)".contains("does not exist")
        }
    }

    @Test func fileAndEnvironmentAreCombined() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.path + "/config.json"
        try Data(#"{"listen": {"port": 9001}}"#.utf8).write(to: URL(fileURLWithPath: path))
        let config = try ConfigurationLoader(flag: path, environment: ["API_TOKEN": "t0ken"]).load()
        #expect(config.listen.port == 9001)
        #expect(config.clientAPIKeys == ["t0ken"])
    }
}
