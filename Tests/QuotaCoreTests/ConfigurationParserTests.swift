import Foundation
import Testing

@testable import QuotaCore

@Suite("Configuration")
struct ConfigurationParserTests: ConfigurationParsing {
    @Test func defaultsMatchTheSpec() throws {
        let config = try parse("{}")
        #expect(config.listen.host == "127.0.0.1")
        #expect(config.listen.port == 8045)
        #expect(config.clientAPIKeys == ["change-me"])
        #expect(config.routing.strategy == .roundRobin)
        #expect(config.routing.maxAttempts == 3)
        #expect(config.routing.disableFallback == false)
        #expect(config.quotaProtection.enabled)
        #expect(config.quotaProtection.thresholdPercentage == 10)
        #expect(config.quotaProtection.monitoredModels == ["*"])
        #expect(config.scheduledWarmup.enabled)
        #expect(config.scheduledWarmup.intervalSeconds == 600)
        #expect(config.scheduledWarmup.cooldownSeconds == 14400)
        #expect(config.refresher.intervalSeconds == 300)
        #expect(config.refresher.tokenRefreshLeadSeconds == 300)
        #expect(config.modelGroups["claude-sonnet-4-5"] == ["claude-sonnet-4-5-thinking", "claude-opus-4-5-thinking"])
        #expect(config.modelGroups["gemini-3-pro-high"] == ["gemini-3-pro-low"])
        #expect(config.anonymous.mintURL == nil)
        #expect(config.anonymous.minIntervalSeconds == 300)
        #expect(config.anonymous.cooldownAfter429Seconds == 3600)
        #expect(config.listen.threads == 0)
        #expect(config.listen.idleTimeoutSeconds == 120)
        #expect(config.listen.headerTimeoutSeconds == 60)
        #expect(config.listen.maxConnections == 0)
        #expect(config.routing.upstreamHeadTimeoutSeconds == 120)
        #expect(config.routing.upstreamIdleTimeoutSeconds == 300)
        #expect(config.requestLog.enabled && !config.requestLog.includeBodies)
        #expect(config.requestLog.maxFileBytes == 10 << 20 && config.requestLog.maxFiles == 5)
        #expect(!config.metrics.isPublic)
        #expect(config.modelAliases.isEmpty)
        // No file at all gives the same defaults.
        #expect(try ConfigurationParser().parse(data: nil, file: nil) == config)
    }

    @Test func maxResetHintSeconds() throws {
        #expect(try parse("{}").routing.maxResetHintSeconds == 604_800)
        #expect(try parse(#"{"routing":{"max_reset_hint_seconds":3600}}"#).routing.maxResetHintSeconds == 3600)
        #expect(
            try parse("{}", environment: ["QUOTA_PROXY_ROUTING_MAX_RESET_HINT_SECONDS": "7200"]).routing.maxResetHintSeconds == 7200)
        for bad in ["0", "59", "31536001", "\"soon\""] {
            let found = problems(#"{"routing":{"max_reset_hint_seconds":"# + bad + "}}")
            #expect(found.contains { $0.key == "routing.max_reset_hint_seconds" }, "\(bad): \(found)")
        }
    }

    @Test func theSpecExampleParses() throws {
        let json = """
            {
              "listen": { "host": "0.0.0.0", "port": 9000 },
              "client_api_keys": ["k1", "k2"],
              "routing": { "strategy": "most-remaining", "max_attempts": 5, "disable_fallback": true },
              "quota_protection": { "enabled": true, "threshold_percentage": 20, "monitored_models": ["claude-sonnet-4-5"] },
              "scheduled_warmup": { "enabled": false, "monitored_models": [], "interval_seconds": 900, "cooldown_seconds": 7200 },
              "refresher": { "interval_seconds": 120, "token_refresh_lead_seconds": 60 },
              "model_groups": { "gpt-4o": ["gpt-4o-2024-08-06"] },
              "anonymous": { "mint_url": "http://127.0.0.1:9/mint", "min_interval_seconds": 30, "cooldown_after_429_seconds": 60 }
            }
            """
        let config = try parse(json)
        #expect(config.listen.host == "0.0.0.0")
        #expect(config.listen.port == 9000)
        #expect(config.clientAPIKeys == ["k1", "k2"])
        #expect(config.routing.strategy == .mostRemaining)
        #expect(config.routing.maxAttempts == 5)
        #expect(config.routing.disableFallback)
        #expect(config.quotaProtection.thresholdPercentage == 20)
        #expect(config.scheduledWarmup.enabled == false)
        #expect(config.scheduledWarmup.cooldownSeconds == 7200)
        #expect(config.modelGroups == ["gpt-4o": ["gpt-4o-2024-08-06"]])
        #expect(config.anonymous.mintURL == "http://127.0.0.1:9/mint")
    }

    @Test func environmentOverrides() throws {
        let config = try parse(
            #"{"client_api_keys": ["file-key"]}"#,
            environment: [
                "API_TOKEN": "env-key",
                "DISABLE_ANONYMOUS_FALLBACK": "true",
                "QUOTA_PROXY_LISTEN_PORT": "9100",
                "QUOTA_PROXY_QUOTA_PROTECTION_THRESHOLD_PERCENTAGE": "25",
                "QUOTA_PROXY_SCHEDULED_WARMUP_MONITORED_MODELS": "gemini-3-flash, claude-sonnet-4-5",
                "QUOTA_PROXY_ANONYMOUS_MINT_URL": "https://mint.example/new",
                "QUOTA_PROXY_LISTEN_THREADS": "1",
                "QUOTA_PROXY_REQUEST_LOG_INCLUDE_BODIES": "true",
                "QUOTA_PROXY_REQUEST_LOG_MAX_FILES": "3",
                "QUOTA_PROXY_METRICS_PUBLIC": "true",
                "QUOTA_PROXY_MODEL_ALIASES": "gpt-4 = gpt-4o-mini, sonnet=claude-sonnet-4-5",
            ])
        #expect(config.clientAPIKeys == ["file-key", "env-key"])
        #expect(config.routing.disableFallback)
        #expect(config.listen.port == 9100)
        #expect(config.quotaProtection.thresholdPercentage == 25)
        #expect(config.scheduledWarmup.monitoredModels == ["gemini-3-flash", "claude-sonnet-4-5"])
        #expect(config.anonymous.mintURL == "https://mint.example/new")
        #expect(config.listen.threads == 1)
        #expect(config.requestLog.includeBodies && config.requestLog.maxFiles == 3)
        #expect(config.metrics.isPublic)
        #expect(config.modelAliases == ["gpt-4": "gpt-4o-mini", "sonnet": "claude-sonnet-4-5"])
    }

    @Test func apiTokenReplacesThePlaceholderDefault() throws {
        let config = try parse("{}", environment: ["API_TOKEN": "only-key"])
        #expect(config.clientAPIKeys == ["only-key"])
    }

    @Test func explicitEnvironmentBeatsTheSeedAlias() throws {
        let config = try parse(
            "{}", environment: ["DISABLE_ANONYMOUS_FALLBACK": "true", "QUOTA_PROXY_ROUTING_DISABLE_FALLBACK": "false"])
        #expect(config.routing.disableFallback == false)
    }

    @Test(arguments: [
        (#"{"quota_protection": {"threshold_percentage": 0}}"#, "quota_protection.threshold_percentage"),
        (#"{"quota_protection": {"threshold_percentage": 100}}"#, "quota_protection.threshold_percentage"),
        (#"{"quota_protection": {"threshold_percentage": 10.5}}"#, "quota_protection.threshold_percentage"),
        (#"{"quota_protection": {"enabled": true, "monitored_models": []}}"#, "quota_protection.monitored_models"),
        (#"{"scheduled_warmup": {"enabled": true, "monitored_models": []}}"#, "scheduled_warmup.monitored_models"),
        (#"{"scheduled_warmup": {"interval_seconds": 1}}"#, "scheduled_warmup.interval_seconds"),
        (#"{"scheduled_warmup": {"cooldown_seconds": -1}}"#, "scheduled_warmup.cooldown_seconds"),
        (#"{"routing": {"strategy": "random"}}"#, "routing.strategy"),
        (#"{"routing": {"max_attempts": 0}}"#, "routing.max_attempts"),
        (#"{"routing": {"disable_fallback": "yes"}}"#, "routing.disable_fallback"),
        (#"{"listen": {"port": 70000}}"#, "listen.port"),
        (#"{"listen": {"port": "8045"}}"#, "listen.port"),
        (#"{"listen": {"host": ""}}"#, "listen.host"),
        (#"{"listen": 5}"#, "listen"),
        (#"{"client_api_keys": "one"}"#, "client_api_keys"),
        (#"{"client_api_keys": [""]}"#, "client_api_keys"),
        (#"{"client_api_keys": [], "listen": {"host": "0.0.0.0"}}"#, "client_api_keys"),
        (#"{"refresher": {"interval_seconds": 0}}"#, "refresher.interval_seconds"),
        (#"{"refresher": {"token_refresh_lead_seconds": -5}}"#, "refresher.token_refresh_lead_seconds"),
        (#"{"model_groups": {"a": ["x"], "b": ["x"]}}"#, "model_groups.b"),
        (#"{"model_groups": {"a": "x"}}"#, "model_groups.a"),
        (#"{"anonymous": {"mint_url": "not a url"}}"#, "anonymous.mint_url"),
        (#"{"anonymous": {"min_interval_seconds": -1}}"#, "anonymous.min_interval_seconds"),
        (#"{"anonymous": {"cooldown_after_429_seconds": -1}}"#, "anonymous.cooldown_after_429_seconds"),
        (#"{"listen": {"threads": 1000}}"#, "listen.threads"),
        (#"{"listen": {"idle_timeout_seconds": 0}}"#, "listen.idle_timeout_seconds"),
        (#"{"listen": {"header_timeout_seconds": 0}}"#, "listen.header_timeout_seconds"),
        (#"{"listen": {"header_timeout_seconds": 3601}}"#, "listen.header_timeout_seconds"),
        (#"{"listen": {"max_connections": -1}}"#, "listen.max_connections"),
        (#"{"listen": {"max_connections": 1000001}}"#, "listen.max_connections"),
        (#"{"listen": {"max_connections": "many"}}"#, "listen.max_connections"),
        (#"{"routing": {"upstream_head_timeout_seconds": 0}}"#, "routing.upstream_head_timeout_seconds"),
        (#"{"routing": {"upstream_head_timeout_seconds": 3601}}"#, "routing.upstream_head_timeout_seconds"),
        (#"{"routing": {"upstream_idle_timeout_seconds": 0}}"#, "routing.upstream_idle_timeout_seconds"),
        (#"{"request_log": {"max_file_bytes": 100}}"#, "request_log.max_file_bytes"),
        (#"{"request_log": {"max_files": 0}}"#, "request_log.max_files"),
        (#"{"request_log": {"enabled": "yes"}}"#, "request_log.enabled"),
        (#"{"metrics": {"public": 1}}"#, "metrics.public"),
        (#"{"model_aliases": ["gpt-4"]}"#, "model_aliases"),
        (#"{"model_aliases": {"gpt-4": 4}}"#, "model_aliases.gpt-4"),
        (#"{"model_aliases": {"a": "b", "b": "c"}}"#, "model_aliases.a"),
        (#"{"model_aliases": {"a": "a"}}"#, "model_aliases.a"),
        (#"{"metrics": {"pubic": true}}"#, "metrics.pubic"),
        (#"{"routing": {"stratgy": "round-robin"}}"#, "routing.stratgy"),
        (#"{"quota_protectoin": {}}"#, "quota_protectoin"),
    ])
    func invalidValueIsRejectedNamingTheKey(json: String, key: String) {
        let found = problems(json)
        #expect(found.contains { $0.key == key }, "expected a problem for \(key), got \(found)")
        if let problem = found.first(where: { $0.key == key }) {
            let error = ConfigurationError(file: "/etc/quota-proxy/config.json", problems: [problem])
            #expect(error.description.contains(key))
            #expect(error.description.contains("/etc/quota-proxy/config.json"))
        }
    }

    @Test func emptyKeysAreFineOnLoopback() throws {
        let config = try parse(#"{"client_api_keys": []}"#)
        #expect(config.clientAPIKeys.isEmpty)
    }

    @Test func invalidEnvironmentValueNamesTheVariable() {
        let found = problems("{}", environment: ["QUOTA_PROXY_LISTEN_PORT": "eighty"])
        #expect(found.count == 1)
        #expect(found.first?.environmentVariable == "QUOTA_PROXY_LISTEN_PORT")
        #expect(found.first?.description.contains("QUOTA_PROXY_LISTEN_PORT") == true)
        let range = problems("{}", environment: ["QUOTA_PROXY_QUOTA_PROTECTION_THRESHOLD_PERCENTAGE": "0"])
        #expect(range.first?.environmentVariable == "QUOTA_PROXY_QUOTA_PROTECTION_THRESHOLD_PERCENTAGE")
        let alias = problems("{}", environment: ["DISABLE_ANONYMOUS_FALLBACK": "maybe"])
        #expect(alias.first?.environmentVariable == "DISABLE_ANONYMOUS_FALLBACK")
    }

    @Test func notJSONAndNotAnObject() {
        #expect(problems("{").first?.message.contains("not valid JSON") == true)
        #expect(problems("[1]").first?.message.contains("must be a JSON object") == true)
    }

    @Test func everyProblemIsReportedAtOnce() {
        let found = problems(#"{"listen": {"port": -1}, "routing": {"max_attempts": 99}}"#)
        #expect(found.count == 2)
    }

    @Test func requestPathLimitsParseAndComeFromTheEnvironment() throws {
        let config = try parse(
            #"{"listen": {"header_timeout_seconds": 5, "max_connections": 300}, "routing": {"upstream_head_timeout_seconds": 30, "upstream_idle_timeout_seconds": 45}}"#)
        #expect(config.listen.headerTimeoutSeconds == 5)
        #expect(config.listen.maxConnections == 300)
        #expect(config.routing.upstreamHeadTimeoutSeconds == 30)
        #expect(config.routing.upstreamIdleTimeoutSeconds == 45)
        let fromEnvironment = try parse(
            "{}",
            environment: ["QUOTA_PROXY_LISTEN_MAX_CONNECTIONS": "64", "QUOTA_PROXY_ROUTING_UPSTREAM_HEAD_TIMEOUT_SECONDS": "9"])
        #expect(fromEnvironment.listen.maxConnections == 64)
        #expect(fromEnvironment.routing.upstreamHeadTimeoutSeconds == 9)
    }

    @Test func theConnectionLimitIsDerivedUnlessSet() throws {
        var config = try parse("{}")
        // 0 takes what the descriptors carry (DescriptorBudget in QuotaControl), at least 1.
        #expect(config.effectiveMaxConnections(derived: 407) == 407)
        #expect(config.effectiveMaxConnections(derived: 0) == 1)
        config.listen.maxConnections = 5000
        #expect(config.effectiveMaxConnections(derived: 407) == 5000)
    }
}

/// `config check` reports every problem in one pass (issue 15 item 4), with the README's ranges.
@Suite("Configuration: all problems at once")
struct ConfigurationAllProblemsTests {
    @Test func typeAndRangeProblemsAreReportedTogether() {
        let json = #"{"listen": {"port": "8080", "threads": 999}, "routing": {"strategy": 3, "max_attempts": 0}, "extra": 1}"#
        do {
            _ = try ConfigurationParser().parse(data: Data(json.utf8), file: "/c.json")
            Issue.record("accepted")
        } catch {
            let keys = error.problems.map(\.key)
            #expect(keys.contains("listen.port"), "type: \(keys)")
            #expect(keys.contains("routing.strategy"), "type: \(keys)")
            #expect(keys.contains("extra"), "unknown key: \(keys)")
            #expect(keys.contains("listen.threads"), "range: \(keys)")
            #expect(keys.contains("routing.max_attempts"), "range: \(keys)")
            #expect(keys.count == 5, "each once: \(keys)")
        }
    }

    @Test func aRangeProblemFromTheEnvironmentNamesTheVariable() {
        let environment = ["QUOTA_PROXY_ROUTING_MAX_ATTEMPTS": "50"]
        do {
            _ = try ConfigurationParser(environment: environment).parse(data: Data(#"{"listen": {"port": true}}"#.utf8), file: nil)
            Issue.record("accepted")
        } catch {
            #expect(error.problems.map(\.key) == ["listen.port", "routing.max_attempts"])
            #expect(error.problems.last?.environmentVariable == "QUOTA_PROXY_ROUTING_MAX_ATTEMPTS")
        }
    }

    /// The README's "Checks:" paragraph states the port range the parser enforces.
    @Test func thePortRangeOfTheMessageIsTheREADMEs() throws {
        var problem = ""
        do {
            _ = try ConfigurationParser().parse(data: Data(#"{"listen": {"port": 70000}}"#.utf8), file: nil)
        } catch {
            problem = error.problems.first?.message ?? ""
        }
        let range = try #require(problem.firstMatch(of: /between (\d+) and (\d+)/), "\(problem)")
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8).replacingOccurrences(of: "\n", with: " ")
        let checks = try #require(text.range(of: "Checks:"))
        let paragraph = String(text[checks.lowerBound...].prefix(2000))
        let stated = try #require(paragraph.firstMatch(of: /`(?:listen\.)?port`\s+(\d+)–(\d+)/), "\(paragraph)")
        #expect(stated.1 == range.1 && stated.2 == range.2, "README says \(stated.1)–\(stated.2), the message \(range.1)–\(range.2)")
    }
}
