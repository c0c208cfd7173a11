import Foundation
import NIOCore
import NIOHTTP1
import QuotaControl
import QuotaCore
import QuotaTestSupport
import Testing
import UpstreamSimulator

/// The request log and the Prometheus page of a running proxy, against the simulator.
@Suite("Request log and metrics", .serialized)
struct MonitoringTests {
    static let brokenKey = "sk-monitor-broken-01"
    static let healthyKey = "sk-monitor-healthy-1"

    /// Two accounts serving gpt-4o-mini, tried in order: the first answers 429, the second serves.
    static func start(config: [String: QuotaCore.JSONValue] = [:]) async throws -> ProxyEnvironment {
        var config = config
        config["routing"] = ["strategy": "fill-first"]
        return try await ProxyEnvironment.start(
            keys: [
                SimulatedKey(key: brokenKey, fault: Fault(mode: .rateLimited, retryAfter: 30)),
                SimulatedKey(key: healthyKey),
            ],
            config: config
        ) { url in
            [
                .simulated("acc-1-broken", key: brokenKey, baseURL: url, models: ["gpt-4o-mini"]),
                .simulated("acc-2-healthy", key: healthyKey, baseURL: url, models: ["gpt-4o-mini"]),
            ]
        }
    }

    /// `quota-proxyctl requests --json` on the proxy's state folder, once it shows `count` records.
    static func records(_ env: ProxyEnvironment, count: Int, arguments: [String] = []) async throws -> [RequestRecord] {
        var records: [RequestRecord] = []
        _ = try await env.eventually(timeout: .seconds(10)) {
            let process = try ServiceProcess(
                "quota-proxyctl", arguments: ["requests", "--json", "--state-dir", env.statePath] + arguments,
                logDirectory: env.dir.path)
            guard await process.waitForExit() == 0 else { return false }
            records = try JSONDecoder().decode([RequestRecord].self, from: Data(process.standardOutput.utf8))
            return records.count >= count
        }
        return records
    }

    @Test func everyRequestIsLoggedWithItsAttemptsAndNoSecrets() async throws {
        let env = try await Self.start()
        let served = try await env.chat(model: "gpt-4o-mini")
        #expect(served.status == 200)
        let unserved = try await env.chat(model: "no-such-model")
        #expect(unserved.status == 404)
        let streamed = try await env.send(
            "/v1/chat/completions",
            body: #"{"model":"gpt-4o-mini","messages":[],"stream":true,"stream_options":{"include_usage":true}}"#)
        #expect(streamed.status == 200)

        let records = try await Self.records(env, count: 3)
        #expect(records.count == 3)
        // Newest first.
        let stream = try #require(records.first)
        let missing = try #require(records.dropFirst().first)
        let failover = try #require(records.last)

        #expect(failover.kind == .proxy)
        #expect(failover.route == "/v1/chat/completions" && failover.wireProtocol == "openai")
        #expect(failover.model == "gpt-4o-mini" && failover.group == "gpt-4o-mini")
        #expect(failover.status == 200 && failover.account == "acc-2-healthy")
        #expect(failover.attempts.map(\.account) == ["acc-1-broken", "acc-2-healthy"])
        #expect(failover.attempts.map(\.outcome) == ["rate_limited", "ok"])
        #expect(failover.attempts.first?.status == 429)
        #expect(failover.clientKey == SecretMasker.mask(ProxyEnvironment.clientKey))
        #expect((failover.inputTokens ?? 0) > 0 && (failover.outputTokens ?? 0) > 0, "usage reported by the upstream")
        let ttfb = try #require(failover.ttfbMs)
        #expect(ttfb > 0 && ttfb <= failover.durationMs)
        #expect(!failover.stream && failover.error == nil)
        #expect(failover.requestBody == nil && failover.responseBody == nil, "bodies are off by default")

        #expect(missing.status == 404 && missing.attempts.isEmpty && missing.account == nil)
        #expect(missing.error?.contains("no-such-model") == true, "\(missing.error ?? "")")

        #expect(stream.stream && stream.status == 200 && stream.account == "acc-2-healthy")
        #expect(stream.attempts.map(\.outcome) == ["ok"], "the broken account is cooling down")
        #expect(stream.outputTokens != nil, "usage from the last stream chunk")

        // Nothing secret on disk: neither the client's key nor the accounts' keys.
        let folder = env.statePath + "/requests"
        for file in try FileManager.default.contentsOfDirectory(atPath: folder) {
            let text = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
            for secret in [ProxyEnvironment.clientKey, Self.brokenKey, Self.healthyKey] {
                #expect(!text.contains(secret), "\(file) contains a secret")
            }
        }

        // The filters of the CLI work on the proxy's own log.
        let failed = try await Self.records(env, count: 1, arguments: ["--status", "404"])
        #expect(failed.map(\.id) == [missing.id])
        let byAccount = try await Self.records(env, count: 1, arguments: ["--account", "acc-1-broken"])
        #expect(byAccount.map(\.id) == [failover.id])
        await env.stop()
    }

    @Test func warmupsAreLoggedAndBodiesOnlyWhenEnabled() async throws {
        let env = try await Self.start(config: ["request_log": ["include_bodies": true]])
        _ = try await env.control.send("warmup", arguments: ["account": "acc-2-healthy", "model": "gpt-4o-mini"])
        let body = #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"keep me"}]}"#
        #expect(try await env.send("/v1/chat/completions", body: body).status == 200)

        let records = try await Self.records(env, count: 2)
        let warmup = try #require(records.first { $0.kind == .warmup })
        #expect(warmup.account == "acc-2-healthy" && warmup.model == "gpt-4o-mini" && warmup.status == 200)
        #expect(warmup.attempts.map(\.outcome) == ["ok"])
        let proxied = try #require(records.first { $0.kind == .proxy })
        #expect(proxied.requestBody == body)
        #expect(proxied.responseBody?.contains("chat.completion") == true)
        let warmups = try await Self.records(env, count: 1, arguments: ["--kind", "warmup"])
        #expect(warmups.map(\.id) == [warmup.id])
        await env.stop()
    }

    @Test func logIsOffWhenDisabled() async throws {
        let env = try await Self.start(config: ["request_log": ["enabled": false]])
        #expect(try await env.chat(model: "gpt-4o-mini").status == 200)
        // The next flush (every second) would have written it; the shutdown flush too.
        await env.stop()
        #expect(!FileManager.default.fileExists(atPath: env.statePath + "/requests/requests.jsonl"))
    }

    @Test func metricsPageIsPrometheusTextBehindTheClientKey() async throws {
        let env = try await Self.start()
        #expect(try await env.chat(model: "gpt-4o-mini").status == 200)
        #expect(try await env.chat(model: "gpt-4o-mini").status == 200)
        #expect(try await env.chat(model: "no-such-model").status == 404)

        #expect(try await env.send(.GET, "/metrics", key: nil).status == 401, "metrics need a client key by default")
        let page = try await env.send(.GET, "/metrics")
        #expect(page.status == 200)
        #expect(page.headers.first(name: "content-type")?.hasPrefix("text/plain; version=0.0.4") == true)
        let samples = try PrometheusText.parse(page.body)

        let chat = ["route": "/v1/chat/completions", "model": "gpt-4o-mini", "status": "200"]
        #expect(samples.value("quota_proxy_requests_total", chat) == 2)
        #expect(
            samples.value("quota_proxy_requests_total", ["route": "/v1/chat/completions", "model": "other", "status": "404"]) == 1,
            "an unserved model is labelled other")
        #expect(samples.value("quota_proxy_upstream_attempts_total", ["account": "acc-1-broken", "outcome": "rate_limited"]) == 1)
        #expect(samples.value("quota_proxy_upstream_attempts_total", ["account": "acc-2-healthy", "outcome": "ok"]) == 2)
        // Histograms: cumulative buckets ending in +Inf, which equals the count.
        let route = ["route": "/v1/chat/completions"]
        #expect(samples.value("quota_proxy_request_duration_seconds_count", route) == 3)
        #expect(samples.value("quota_proxy_request_duration_seconds_bucket", route.merging(["le": "+Inf"]) { $1 }) == 3)
        #expect(samples.value("quota_proxy_upstream_duration_seconds_count", route) == 3)
        let buckets = samples.all("quota_proxy_request_duration_seconds_bucket").filter { $0.labels["route"] == route["route"] }
        #expect(buckets.count >= 10)
        #expect(zip(buckets, buckets.dropFirst()).allSatisfy { $0.value <= $1.value }, "buckets are cumulative")
        // State gauges.
        #expect(samples.value("quota_proxy_cooldowns_active", ["reason": "rate_limited"]) == 1)
        #expect(samples.value("quota_proxy_accounts", ["tier": "primary", "state": "enabled"]) == 2)
        // The simulator's per-minute headers are a rate limit: a window, not quota (SPEC 2.6).
        let windows = samples.all("quota_proxy_window_percentage").filter { $0.labels["account"] == "acc-2-healthy" }
        #expect(
            windows.contains { $0.labels["model"] == "gpt-4o-mini" && $0.labels["window"] == "1m" && $0.value > 0 && $0.value <= 100 },
            "live window from headers")
        #expect(samples.all("quota_proxy_quota_percentage").filter { $0.labels["account"] == "acc-2-healthy" }.isEmpty)
        #expect(page.body.contains("# HELP quota_proxy_window_percentage "))
        #expect(samples.value("quota_proxy_requests_total", ["route": "/metrics", "model": "", "status": "401"]) == 1)
        // Every series has its help text.
        for line in page.body.split(separator: "\n") where line.hasPrefix("# TYPE ") {
            let family = line.split(separator: " ")[2]
            #expect(page.body.contains("# HELP \(family) "), "\(family) has no # HELP")
        }
        try await Self.promtoolAccepts(page.body)
        await env.stop()
    }

    /// `promtool check metrics` (Debian's `prometheus` package; CI installs it) finds no problem.
    static func promtoolAccepts(_ page: String) async throws {
        guard let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first(where: FileManager.default.isExecutableFile)
        else {
            Issue.record("promtool is not installed (apt-get install prometheus): the page was not checked with it")
            return
        }
        let check = try await ChildProcess.run(promtool, ["check", "metrics"], input: page, timeLimit: .seconds(60))
        #expect(check.succeeded && check.standardOutput.isEmpty && check.standardError.isEmpty, "promtool check metrics: \(check)")
    }

    @Test func metricsCanBePublic() async throws {
        let env = try await Self.start(config: ["metrics": ["public": true]])
        let page = try await env.send(.GET, "/metrics", key: nil)
        #expect(page.status == 200)
        _ = try PrometheusText.parse(page.body)
        // Everything else still needs the key.
        #expect(try await env.chat(model: "gpt-4o-mini", key: nil).status == 401)
        await env.stop()
    }

    @Test func listenThreadsSetsTheNumberOfEventLoops() async throws {
        let env = try await Self.start(config: ["listen": ["threads": 3]])
        let status = try await env.control.send("status")
        #expect(status["details"]?["event_loops"]?.intValue == 3)
        #expect(try await env.chat(model: "gpt-4o-mini").status == 200)
        await env.stop()
        let defaults = try await Self.start()
        let details = try await defaults.control.send("status")["details"]
        #expect(details?["event_loops"]?.intValue == System.coreCount, "one per core by default")
        await defaults.stop()
    }
}

/// A strict reader of the Prometheus text exposition format (0.0.4), enough to check our page.
enum PrometheusText {
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    struct Samples {
        var samples: [Sample]

        func all(_ name: String) -> [Sample] { samples.filter { $0.name == name } }

        func value(_ name: String, _ labels: [String: String]) -> Double? {
            samples.first { $0.name == name && $0.labels == labels }?.value
        }
    }

    struct Malformed: Error, CustomStringConvertible {
        var line: String
        var description: String { "not Prometheus text: \(line)" }
    }

    static func parse(_ text: String) throws -> Samples {
        var samples: [Sample] = []
        var typed: [String: String] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("#") {
                let parts = line.split(separator: " ", maxSplits: 3)
                guard parts.count >= 3, parts[1] == "HELP" || parts[1] == "TYPE" else { throw Malformed(line: String(line)) }
                if parts[1] == "TYPE" {
                    guard parts.count == 4, ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[3]) else {
                        throw Malformed(line: String(line))
                    }
                    typed[String(parts[2])] = String(parts[3])
                }
                continue
            }
            samples.append(try sample(String(line)))
        }
        for sample in samples {
            let family = ["_bucket", "_sum", "_count"].reduce(sample.name) { name, suffix in
                name.hasSuffix(suffix) && typed[String(name.dropLast(suffix.count))] == "histogram"
                    ? String(name.dropLast(suffix.count)) : name
            }
            guard typed[family] != nil else { throw Malformed(line: "\(sample.name) has no # TYPE line") }
        }
        return Samples(samples: samples)
    }

    private static func sample(_ line: String) throws -> Sample {
        var rest = Substring(line)
        let nameEnd = rest.firstIndex { $0 == "{" || $0 == " " } ?? rest.endIndex
        let name = String(rest[..<nameEnd])
        guard let first = name.first, first.isLetter || first == "_" || first == ":",
            name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" })
        else { throw Malformed(line: line) }
        rest = rest[nameEnd...]
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                guard let equals = rest.firstIndex(of: "=") else { throw Malformed(line: line) }
                let label = String(rest[..<equals])
                rest = rest[rest.index(after: equals)...]
                guard rest.first == "\"" else { throw Malformed(line: line) }
                rest = rest.dropFirst()
                var value = ""
                while let character = rest.first, character != "\"" {
                    if character == "\\" {
                        rest = rest.dropFirst()
                        guard let escaped = rest.first else { throw Malformed(line: line) }
                        value.append(escaped == "n" ? "\n" : escaped)
                    } else {
                        value.append(character)
                    }
                    rest = rest.dropFirst()
                }
                guard rest.first == "\"" else { throw Malformed(line: line) }
                rest = rest.dropFirst()
                labels[label] = value
                if rest.first == "," { rest = rest.dropFirst() }
                guard !rest.isEmpty else { throw Malformed(line: line) }
            }
            rest = rest.dropFirst()
        }
        guard rest.first == " " else { throw Malformed(line: line) }
        let fields = rest.dropFirst().split(separator: " ")
        guard (1...2).contains(fields.count), let value = Double(fields[0]) ?? (fields[0] == "+Inf" ? .infinity : nil) else {
            throw Malformed(line: line)
        }
        return Sample(name: name, labels: labels, value: value)
    }
}
