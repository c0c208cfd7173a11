import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import QuotaControl
import QuotaCore
import QuotaState
import Testing
import UpstreamSimulator

/// The dashboard's admin API against the three real services (issue 18): access, every endpoint,
/// bad input, and that no secret ever appears in an answer.
@Suite("Admin API and dashboard", .serialized)
struct AdminAPITests {
    static let adminKey = "admin-key-0123456789abcdef"
    static let clientKey = "client-key-0123456789abcdef"
    static let apiKey = "sk-live-alice-secret-000001"
    static let bobKey = "sk-live-bob-secret-0000002"
    static let accessToken = "ya29.oauth-access-token-secret-1"
    static let refreshToken = "1//oauth-refresh-token-secret-2"
    /// Strings that must never appear in an answer.
    static let secrets = [adminKey, clientKey, apiKey, bobKey, accessToken, refreshToken]

    struct Answer {
        var status: Int
        var headers: HTTPHeaders
        var body: String
        var json: QuotaCore.JSONValue? { try? JSONDecoder().decode(QuotaCore.JSONValue.self, from: Data(body.utf8)) }
        var errorCode: String? { json?["error"]?["code"]?.stringValue }
    }

    /// Every answer a test saw, checked for secrets at the end.
    final class Transcript: @unchecked Sendable {
        private let lock = NSLock()
        private var answers: [String] = []
        func add(_ text: String) { lock.withLock { answers.append(text) } }
        var all: [String] { lock.withLock { answers } }
    }

    let transcript = Transcript()

    /// A client that shows redirects instead of following them (never shut down: it lives as long
    /// as the test process).
    static let client = HTTPClient(
        eventLoopGroupProvider: .singleton, configuration: HTTPClient.Configuration(redirectConfiguration: .disallow))

    static func start(config: String? = nil, services: [String] = ["proxy", "refresher", "scheduler"]) async throws -> StackEnvironment {
        let simulator = SimulatorConfiguration(keys: [
            SimulatedKey(key: apiKey, models: ["gpt-4o-mini": SimQuota(limit: 20, remaining: 20, resetSeconds: 18000)]),
            SimulatedKey(key: bobKey, models: ["gpt-4o-mini": SimQuota(limit: 20, remaining: 20, resetSeconds: 1800)]),
        ])
        return try await StackEnvironment.start(
            simulator: simulator, services: services,
            config: config ?? #"{"listen": {"port": 0}, "client_api_keys": ["\#(clientKey)"], "admin_api_keys": ["\#(adminKey)"]}"#
        ) { url in
            [
                Account(
                    id: "alice", label: "alice@example.com", provider: .openai, baseURL: url, credentials: .apiKey(apiKey),
                    models: ["gpt-4o-mini"]),
                Account(
                    id: "bob", label: "bob@example.com", provider: .openai, baseURL: url, tier: .fallback, credentials: .apiKey(bobKey),
                    quotaSource: QuotaSource(kind: .quotaURL, url: url + "/quota"), models: ["gpt-4o-mini"]),
                Account(
                    id: "carol", provider: .openai, baseURL: url,
                    credentials: .oauth(
                        OAuthCredentials(
                            accessToken: accessToken, refreshToken: refreshToken, expiresAt: Date().addingTimeInterval(86_400),
                            tokenURL: url + "/oauth/token")),
                    models: ["other-model"], disabled: true, disabledReason: "parked"),
            ]
        }
    }

    func listen(_ env: StackEnvironment) async throws -> String {
        let status = try await env.control("proxy").send("status")
        return status["details"]?["listen"]?.stringValue ?? ""
    }

    func call(
        _ env: StackEnvironment, _ method: HTTPMethod, _ path: String, body: String? = nil, key: String? = adminKey,
        headers extra: [(String, String)] = []
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: "http://" + (try await listen(env)) + path)
        request.method = method
        if let key { request.headers.add(name: "authorization", value: "Bearer \(key)") }
        for (name, value) in extra { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await Self.client.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        let answer = Answer(status: Int(response.status.code), headers: response.headers, body: String(buffer: bytes))
        transcript.add(answer.headers.map { "\($0.name): \($0.value)" }.joined(separator: "\n") + "\n" + answer.body)
        return answer
    }

    func chat(_ env: StackEnvironment) async throws -> Int {
        try await env.post("/v1/chat/completions", body: #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"#, key: Self.clientKey).status
    }

    func expectNoSecrets(sourceLocation: SourceLocation = #_sourceLocation) {
        let answers = transcript.all
        #expect(!answers.isEmpty)
        for answer in answers {
            for secret in Self.secrets {
                #expect(!answer.contains(secret), "an answer holds a secret: \(answer.prefix(300))", sourceLocation: sourceLocation)
            }
        }
    }

    @Test func accessNeedsAnAdminKeyAndThePageIsServed() async throws {
        let env = try await Self.start()
        // The page: no key needed (it holds no data), security headers, every file.
        let redirect = try await call(env, .GET, "/dashboard", key: nil)
        #expect(redirect.status == 308 && redirect.headers["location"] == ["/dashboard/"])
        let page = try await call(env, .GET, "/dashboard/", key: nil)
        #expect(page.status == 200)
        #expect(page.headers["content-type"].first?.hasPrefix("text/html") == true)
        #expect(page.headers["content-security-policy"].first?.contains("default-src 'self'") == true)
        #expect(page.headers["x-content-type-options"] == ["nosniff"])
        #expect(page.body.contains("dashboard.js"))
        for (file, type) in [("dashboard.js", "text/javascript"), ("dashboard.css", "text/css"), ("index.html", "text/html")] {
            let answer = try await call(env, .GET, "/dashboard/" + file, key: nil)
            #expect(answer.status == 200 && answer.headers["content-type"].first?.hasPrefix(type) == true, "\(file)")
        }
        #expect(try await call(env, .GET, "/dashboard/../config.json", key: nil).status == 404)
        #expect(try await call(env, .GET, "/dashboard/secret.txt", key: nil).status == 404)
        #expect(try await call(env, .POST, "/dashboard/", body: "{}", key: nil).status == 405)

        // The API: no key, a wrong key, a client key → 401 JSON; the admin key → 200.
        for key in [nil, "wrong-key-000000000000", Self.clientKey] {
            let refused = try await call(env, .GET, "/admin/api/status", key: key)
            #expect(refused.status == 401, "\(key ?? "no key")")
            #expect(refused.errorCode == "unauthorized")
            #expect(refused.headers["content-type"].first?.hasPrefix("application/json") == true)
        }
        let xAPIKey = try await call(env, .GET, "/admin/api/session", key: nil, headers: [("x-api-key", Self.adminKey)])
        #expect(xAPIKey.status == 200)
        let session = try await call(env, .GET, "/admin/api/session")
        #expect(session.status == 200 && session.json?["ok"] == true)
        // An admin key is not a client key either.
        let proxied = try await env.post(
            "/v1/chat/completions", body: #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"#, key: Self.adminKey)
        #expect(proxied.status == 401)
        expectNoSecrets()
        await env.stop()
    }

    @Test func everyEndpointAnswersAndNoSecretAppears() async throws {
        let env = try await Self.start()
        #expect(try await chat(env) == 200)

        // status: the three services.
        let status = try await call(env, .GET, "/admin/api/status")
        #expect(status.status == 200)
        let services = status.json?["services"]?.arrayValue ?? []
        #expect(services.compactMap { $0["name"]?.stringValue } == ["quota-proxy", "quota-scheduler", "quota-refresher"])
        #expect(services.allSatisfy { $0["running"] == true && $0["status"]?.stringValue?.isEmpty == false })
        #expect(services.first { $0["name"] == "quota-scheduler" }?["details"]?["next_scan"] != nil)

        // accounts: quota windows (alice's header window after the request), masked secrets.
        let accountsReady = await env.eventually {
            let answer = try await call(env, .GET, "/admin/api/accounts")
            let alice = answer.json?["accounts"]?.arrayValue?.first { $0["id"] == "alice" }
            return alice?["quota_report"]?["windows"]?.arrayValue?.contains { $0["kind"] == "quota" && $0["percentage"]?.doubleValue == 95 } == true
        }
        #expect(accountsReady)
        let accounts = try await call(env, .GET, "/admin/api/accounts")
        let list = accounts.json?["accounts"]?.arrayValue ?? []
        #expect(list.compactMap { $0["id"]?.stringValue }.sorted() == ["alice", "bob", "carol"])
        #expect(list.first { $0["id"] == "alice" }?["secret"]?.stringValue == SecretMasker.mask(Self.apiKey))
        #expect(list.first { $0["id"] == "alice" }?["last_used"]?.stringValue != nil)
        #expect(list.first { $0["id"] == "carol" }?["disabled_reason"] == "parked")
        #expect(accounts.json?["protection"]?["threshold_percentage"]?.intValue == 10)

        // The request log: the chat, newest first, one by id, filters, export.
        let logged = await env.eventually { (try await call(env, .GET, "/admin/api/requests?kind=proxy").json?["records"]?.arrayValue?.count ?? 0) >= 1 }
        #expect(logged)
        let requests = try await call(env, .GET, "/admin/api/requests?since=1h&model=gpt-4o-mini&status=2xx&limit=10")
        let records = requests.json?["records"]?.arrayValue ?? []
        #expect(records.count == 1 && records.first?["account"] == "alice")
        #expect(records.first?["client_key"]?.stringValue == SecretMasker.mask(Self.clientKey))
        let id = records.first?["id"]?.stringValue ?? ""
        let one = try await call(env, .GET, "/admin/api/requests/" + id)
        #expect(one.status == 200 && one.json?["attempts"]?.arrayValue?.first?["account"] == "alice")
        #expect(try await call(env, .GET, "/admin/api/requests?status=5xx").json?["records"]?.arrayValue?.isEmpty == true)
        let csv = try await call(env, .GET, "/admin/api/requests/export?format=csv")
        #expect(csv.status == 200 && csv.headers["content-type"].first?.hasPrefix("text/csv") == true)
        #expect(csv.headers["content-disposition"].first?.hasPrefix("attachment") == true)
        #expect(csv.body.hasPrefix(RequestLogExport.csvColumns.joined(separator: ",")) && csv.body.contains(id))
        let jsonl = try await call(env, .GET, "/admin/api/requests/export?format=jsonl&kind=proxy")
        #expect(jsonl.body.split(separator: "\n").count == 1 && jsonl.body.contains(id))

        // Timeline: the request in its minute, quota changes from the proxy and the refresher.
        let charted = await env.eventually {
            let timeline = try await call(env, .GET, "/admin/api/timeline?hours=1").json
            let ok = timeline?["requests"]?.arrayValue?.reduce(0) { $0 + ($1["ok"]?.intValue ?? 0) } ?? 0
            let series = timeline?["quota"]?.arrayValue ?? []
            return ok == 1 && series.contains { $0["account"] == "alice" && $0["source"] == "headers" && $0["points"]?.arrayValue?.last?.arrayValue?.last == 95 }
                && series.contains { $0["account"] == "bob" && $0["source"] == "quota_url" }
        }
        let timelineText = try await call(env, .GET, "/admin/api/timeline").body
        #expect(charted, "\(timelineText.prefix(2000))")
        let history = try StateDirectory(path: env.statePath).quotaHistory.records()
        #expect(history.records.contains { $0.account == "alice" && $0.writer == .proxy && $0.percentage == 95 })
        #expect(history.records.contains { $0.account == "bob" && $0.writer == .refresher && $0.percentage == 100 })

        // Warmups: what the next scan would warm (bob, polled at 100%), history, recent warmups.
        let warmups = try await call(env, .GET, "/admin/api/warmups")
        #expect(warmups.status == 200)
        #expect(warmups.json?["plan"]?["enabled"] == true)
        #expect(warmups.json?["scheduler"]?["next_scan"] != nil)

        // Actions, each the control command quota-proxyctl sends.
        let warm = try await call(env, .POST, "/admin/api/warmup", body: #"{"account":"bob"}"#)
        #expect(warm.status == 200, "\(warm.body)")
        #expect(warm.json?["result"]?["message"]?.stringValue?.hasPrefix("Successfully triggered warmup") == true)
        let warmedUp = await env.eventually {
            (try await call(env, .GET, "/admin/api/requests?kind=warmup&account=bob").json?["records"]?.arrayValue?.count ?? 0) >= 1
        }
        #expect(warmedUp)
        // The CLI's commands are the same: `warmup --plan` over scheduler.sock shows the warmup in
        // its history (checked now: a refresh below may find bob's quota under 100% after the
        // warmup spent some of it, and then the history entry rightly goes).
        let planned = await env.eventually {
            try await env.control("scheduler").send("plan")["history"]?.arrayValue?.contains { $0["account"] == "bob" } == true
        }
        #expect(planned, "warmup --plan shows bob's warmup in the history")
        let notNeeded = try await call(env, .POST, "/admin/api/warmup", body: #"{"account":"alice"}"#)
        #expect(notNeeded.status == 200 && notNeeded.json?["result"]?["message"] == "No warmup needed", "\(notNeeded.body)")
        let refused = try await call(env, .POST, "/admin/api/warmup", body: #"{"account":"carol"}"#)
        #expect(refused.status == 409 && refused.errorCode == "failed", "\(refused.body)")
        #expect(refused.json?["error"]?["message"] == "Account is disabled")
        let all = try await call(env, .POST, "/admin/api/warmup", body: "")
        #expect([200, 409].contains(all.status), "\(all.body)")
        #expect(try await call(env, .POST, "/admin/api/refresh", body: "{}").json?["result"]?["scheduled"] == "all")
        #expect(try await call(env, .POST, "/admin/api/refresh", body: #"{"account":"bob"}"#).json?["result"]?["scheduled"] == "bob")
        let cleared = try await call(env, .POST, "/admin/api/clear-cooldown", body: #"{"account":"alice","group":"gpt-4o-mini"}"#)
        #expect(cleared.status == 200 && cleared.json?["result"]?["cleared"] == true)

        let disabled = try await call(env, .POST, "/admin/api/accounts/alice/disable", body: #"{"reason":"billing"}"#)
        #expect(disabled.status == 200 && disabled.json?["result"]?["disabled"] == true, "\(disabled.body)")
        #expect(try env.account("alice")?.disabledReason == "billing")
        // Routing follows at once: the only other account is a fallback one.
        let bobBefore = try await env.simulatorState.stats(forKey: Self.bobKey).byPath["/v1/chat/completions"] ?? 0
        let aliceBefore = try await env.simulatorState.stats(forKey: Self.apiKey).byPath["/v1/chat/completions"] ?? 0
        #expect(try await chat(env) == 200)
        #expect(try await env.simulatorState.stats(forKey: Self.bobKey).byPath["/v1/chat/completions"] == bobBefore + 1)
        #expect(try await env.simulatorState.stats(forKey: Self.apiKey).byPath["/v1/chat/completions"] == aliceBefore)
        let enabled = try await call(env, .POST, "/admin/api/accounts/alice/enable", body: "{}")
        #expect(enabled.status == 200 && enabled.json?["result"]?["disabled"] == false)
        #expect(try env.account("alice")?.disabled == false)
        #expect(try env.account("alice")?.disabledReason == nil)

        #expect(try await env.control("scheduler").send("plan")["history"]?.arrayValue != nil)

        expectNoSecrets()
        await env.stop()
    }

    @Test func badInputGetsA4xxJSONAnswer() async throws {
        let env = try await Self.start(services: ["proxy"])
        let cases: [(HTTPMethod, String, String?, Int, String)] = [
            (.GET, "/admin/api/nothing", nil, 404, "not_found"),
            (.POST, "/admin/api/status", "{}", 405, "method_not_allowed"),
            (.GET, "/admin/api/warmup", nil, 405, "method_not_allowed"),
            (.POST, "/admin/api/clear-cooldown", "not json", 400, "invalid_json"),
            (.POST, "/admin/api/clear-cooldown", "[1]", 400, "invalid_json"),
            (.POST, "/admin/api/clear-cooldown", "{}", 400, "invalid_argument"),
            (.POST, "/admin/api/clear-cooldown", #"{"account":"alice","extra":1}"#, 400, "invalid_argument"),
            (.POST, "/admin/api/clear-cooldown", #"{"account":"../etc/passwd"}"#, 400, "invalid_argument"),
            (.POST, "/admin/api/clear-cooldown", #"{"account":7}"#, 400, "invalid_argument"),
            (.POST, "/admin/api/clear-cooldown", #"{"account":"nobody"}"#, 404, "not_found"),
            (.POST, "/admin/api/accounts/nobody/disable", "{}", 404, "not_found"),
            (.POST, "/admin/api/accounts/bad%20id/enable", "{}", 400, "invalid_argument"),
            (.POST, "/admin/api/accounts/alice/enable", #"{"reason":"x"}"#, 400, "invalid_argument"),
            (.POST, "/admin/api/accounts/alice/disable", #"{"reason":""}"#, 400, "invalid_argument"),
            (.GET, "/admin/api/requests?since=yesterday", nil, 400, "invalid_argument"),
            (.GET, "/admin/api/requests?status=600", nil, 400, "invalid_argument"),
            (.GET, "/admin/api/requests?limit=-3", nil, 400, "invalid_argument"),
            (.GET, "/admin/api/requests?mdoel=x", nil, 400, "invalid_argument"),
            (.GET, "/admin/api/requests?model=%FF", nil, 400, "invalid_argument"),
            (.GET, "/admin/api/requests/export", nil, 400, "invalid_argument"),
            (.GET, "/admin/api/requests/export?format=xml", nil, 400, "invalid_argument"),
            (.GET, "/admin/api/requests/no-such-id", nil, 404, "not_found"),
            (.GET, "/admin/api/timeline?hours=0", nil, 400, "invalid_argument"),
            (.GET, "/admin/api/timeline?hours=abc", nil, 400, "invalid_argument"),
            (.GET, "/admin/api/timeline?days=1", nil, 400, "invalid_argument"),
            // The scheduler and refresher are not running in this set-up.
            (.POST, "/admin/api/warmup", "{}", 503, "service_unavailable"),
            (.POST, "/admin/api/refresh", "{}", 503, "service_unavailable"),
        ]
        for (method, path, body, status, code) in cases {
            let answer = try await call(env, method, path, body: body)
            #expect(answer.status == status, "\(method) \(path) \(body ?? ""): \(answer.status) \(answer.body)")
            #expect(answer.errorCode == code, "\(method) \(path): \(answer.body)")
            #expect(answer.headers["content-type"].first?.hasPrefix("application/json") == true)
        }
        let huge = try await call(env, .POST, "/admin/api/refresh", body: #"{"account":""# + String(repeating: "a", count: 70_000) + #""}"#)
        #expect(huge.status == 413 && huge.errorCode == "request_too_large")
        // Status still answers, with the two services shown as not running.
        let status = try await call(env, .GET, "/admin/api/status")
        #expect(status.json?["services"]?.arrayValue?.filter { $0["running"] == false }.count == 2)
        // The proxy is still fine.
        #expect(try await chat(env) == 200)
        expectNoSecrets()
        await env.stop()
    }

    @Test func withoutAnAdminKeyTheAPIExplainsAndTheSwitchTurnsItOff() async throws {
        let env = try await Self.start(
            config: #"{"listen": {"port": 0}, "client_api_keys": ["\#(Self.clientKey)"]}"#, services: ["proxy"])
        let refused = try await call(env, .GET, "/admin/api/status", key: Self.clientKey)
        #expect(refused.status == 403 && refused.errorCode == "no_admin_key")
        #expect(refused.json?["error"]?["message"]?.stringValue?.contains("admin_api_keys") == true)
        #expect(try await call(env, .GET, "/dashboard/", key: nil).status == 200)
        await env.stop()

        let off = try await Self.start(
            config: #"{"listen": {"port": 0}, "client_api_keys": ["\#(Self.clientKey)"], "admin_api_keys": ["\#(Self.adminKey)"], "dashboard": {"enabled": false}}"#,
            services: ["proxy"])
        #expect(try await call(off, .GET, "/dashboard/", key: nil).status == 404)
        #expect(try await call(off, .GET, "/admin/api/session").status == 404)
        expectNoSecrets()
        await off.stop()
    }
}
