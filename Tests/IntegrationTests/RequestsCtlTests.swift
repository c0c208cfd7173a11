import Foundation
import QuotaCore
import QuotaState
import QuotaTestSupport
import Testing

/// `quota-proxyctl requests` and `quota-proxyctl quota`: they read the state files directly, so no
/// service runs in these tests; the log is prepared with the proxy's own ``RequestLogWriter``.
@Suite("quota-proxyctl requests and quota")
struct RequestsCtlTests {
    /// A state folder with a request log, and a way to run the CLI on it.
    struct Fixture {
        let dir: TemporaryDirectory
        let state: StateDirectory
        let now = Date()

        init() throws {
            dir = try TemporaryDirectory()
            state = StateDirectory(path: try dir.subdirectory("state"))
            try state.prepare()
        }

        func ctl(_ arguments: [String]) async throws -> (status: Int32?, output: String, error: String) {
            let process = try ServiceProcess(
                "quota-proxyctl", arguments: arguments + ["--state-dir", state.path], environment: ["TZ": "UTC"],
                logDirectory: dir.path)
            let status = await process.waitForExit()
            return (status, process.standardOutput, process.standardError)
        }

        /// 60 records, one a minute, the newest (`r-59`) a minute ago: models alternate, every 5th
        /// failed with 503 after trying two accounts, every 7th got 429.
        func writeLog() throws -> [RequestRecord] {
            var records: [RequestRecord] = []
            for number in 0..<60 {
                let failed = number % 5 == 0
                let limited = !failed && number % 7 == 0
                let account = "acc-\(number % 3)"
                records.append(
                    RequestRecord(
                        id: "r-\(number)", time: now.addingTimeInterval(TimeInterval(-60 * (60 - number))),
                        clientKey: "sk-c…1234", wireProtocol: number % 2 == 0 ? "openai" : "anthropic",
                        route: number % 2 == 0 ? "/v1/chat/completions" : "/v1/messages",
                        model: number % 2 == 0 ? "gpt-4o-mini" : "claude-sonnet-4-5",
                        account: failed || limited ? nil : account,
                        attempts: failed
                            ? [
                                .init(account: account, outcome: "quota_exhausted", status: 429, durationMs: 3),
                                .init(account: "acc-9", outcome: "server_error", status: 503, durationMs: 4),
                            ]
                            : [.init(account: account, outcome: limited ? "rate_limited" : "ok", status: limited ? 429 : 200, durationMs: 40)],
                        status: failed ? 503 : (limited ? 429 : 200), durationMs: 42.4, ttfbMs: failed ? nil : 12,
                        stream: number % 2 == 1, inputTokens: failed ? nil : 10 + number, outputTokens: failed ? nil : 100 + number,
                        error: failed ? "all accounts failed: acc-\(number % 3) quota_exhausted, acc-9 server_error, \"retry\" later" : nil))
            }
            let writer = state.requestLogWriter(maxFileBytes: 4096, maxFiles: 10)
            for batch in stride(from: 0, to: records.count, by: 7) {
                try writer.append(Array(records[batch..<min(batch + 7, records.count)]))
            }
            return records
        }

        func decode(_ json: String) throws -> [RequestRecord] {
            try JSONDecoder().decode([RequestRecord].self, from: Data(json.utf8))
        }
    }

    @Test func listShowsNewestFirstWithAFooterAndLimits() async throws {
        let fixture = try Fixture()
        defer { fixture.dir.remove() }
        let records = try fixture.writeLog()
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.state.requestLogPath).count > 2, "the log rotated")

        let list = try await fixture.ctl(["requests"])
        #expect(list.status == 0, "\(list.error)")
        let lines = list.output.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("TIME") == true && lines[0].contains("TOKENS IN/OUT") && lines[0].contains("ATTEMPTS"))
        #expect(lines.count == 52, "header, 50 rows, footer")
        #expect(lines[1].contains(" r-59 ") && lines[50].contains(" r-10 "), "newest first")
        #expect(!list.output.contains(" r-9 "))
        #expect(lines.last == "showing 50 of 60 matching (newest first); use --limit 0 for all")
        let failedRow = try #require(lines.first { $0.contains(" r-55 ") })
        #expect(failedRow.contains("503") && failedRow.contains("2 (quota,5xx)") && failedRow.contains("all accounts failed"))
        let okRow = try #require(lines.first { $0.contains(" r-59 ") })
        #expect(okRow.contains("claude-sonnet-4-5") && okRow.contains("acc-2") && okRow.contains("69/159") && okRow.contains("42.4ms"))

        let all = try await fixture.ctl(["requests", "list", "--limit", "0"])
        #expect(all.output.split(separator: "\n").last == "showing 60 of 60 matching (newest first)")
        let few = try await fixture.ctl(["requests", "--limit", "3", "--json"])
        #expect(try fixture.decode(few.output) == Array(records.reversed().prefix(3)))
    }

    @Test func filtersSelectBySinceModelAccountStatusAndKind() async throws {
        let fixture = try Fixture()
        defer { fixture.dir.remove() }
        let records = try fixture.writeLog()
        let newestFirst = Array(records.reversed())
        func ids(_ arguments: [String]) async throws -> [String] {
            let result = try await fixture.ctl(["requests"] + arguments + ["--json", "--limit", "0"])
            #expect(result.status == 0, "\(arguments): \(result.error)")
            return try fixture.decode(result.output).map(\.id)
        }
        // r-45 started 15 minutes before the fixture's now, a moment before the CLI's.
        #expect(try await ids(["--since", "15m"]) == (46..<60).reversed().map { "r-\($0)" })
        let cutoff = RequestLogTime.format(records[50].time)
        #expect(try await ids(["--since", cutoff]) == (50..<60).reversed().map { "r-\($0)" })
        #expect(try await ids(["--until", cutoff]) == (0...50).reversed().map { "r-\($0)" })
        #expect(try await ids(["--model", "claude-sonnet-4-5"]) == newestFirst.filter { $0.model == "claude-sonnet-4-5" }.map(\.id))
        let acc9 = try await ids(["--account", "acc-9"])
        #expect(acc9 == newestFirst.filter { $0.status == 503 }.map(\.id) && acc9.count == 12, "accounts that were only tried count")
        #expect(try await ids(["--account", "acc-1"]) == newestFirst.filter { $0.involves(account: "acc-1") }.map(\.id))
        #expect(try await ids(["--status", "5xx"]) == newestFirst.filter { $0.status == 503 }.map(\.id))
        #expect(try await ids(["--status", "429"]) == newestFirst.filter { $0.status == 429 }.map(\.id))
        #expect(try await ids(["--status", "2xx", "--model", "gpt-4o-mini", "--since", "30m"])
            == newestFirst.filter { $0.status == 200 && $0.model == "gpt-4o-mini" && $0.time > fixture.now.addingTimeInterval(-1800) }.map(\.id))
        #expect(try await ids(["--kind", "warmup"]).isEmpty)
        let none = try await fixture.ctl(["requests", "--model", "nope"])
        #expect(none.status == 0 && none.output.contains("no request matches"))
    }

    @Test func exportWritesCSVAndJSONLOldestFirst() async throws {
        let fixture = try Fixture()
        defer { fixture.dir.remove() }
        let records = try fixture.writeLog()
        let jsonl = try await fixture.ctl(["requests", "--export", "jsonl", "--status", "5xx"])
        #expect(jsonl.status == 0, "\(jsonl.error)")
        let expected = records.filter { $0.status == 503 }
        #expect(jsonl.output == expected.map { $0.jsonLine() + "\n" }.joined(), "every match (no default limit), oldest first")

        let csv = try await fixture.ctl(["requests", "--export", "csv", "--model", "gpt-4o-mini", "--limit", "2"])
        #expect(csv.status == 0, "\(csv.error)")
        let rows = csv.output.components(separatedBy: "\r\n")
        #expect(rows[0] == RequestLogExport.csvColumns.joined(separator: ","))
        #expect(rows.count == 4 && rows[1].hasPrefix("r-56,") && rows[2].hasPrefix("r-58,"), "the 2 newest, oldest first")
        let failed = try await fixture.ctl(["requests", "--export", "csv", "--since", RequestLogTime.format(records[55].time), "--until", RequestLogTime.format(records[55].time)])
        #expect(failed.output.contains(#"acc-1:quota_exhausted;acc-9:server_error,503,42.4,,true,,,"all accounts failed: acc-1 quota_exhausted, acc-9 server_error, ""retry"" later""#))
    }

    @Test func showPrintsOneRecordOrFails() async throws {
        let fixture = try Fixture()
        defer { fixture.dir.remove() }
        let records = try fixture.writeLog()
        let show = try await fixture.ctl(["requests", "show", "r-55"])
        #expect(show.status == 0, "\(show.error)")
        #expect(show.output.contains("id:") && show.output.contains("r-55") && show.output.contains("/v1/messages"))
        #expect(show.output.contains("- (no account answered)"))
        #expect(show.output.contains("ACCOUNT") && show.output.contains("quota_exhausted") && show.output.contains("server_error"))
        #expect(show.output.contains(RequestLogTime.format(records[55].time)))
        let json = try await fixture.ctl(["requests", "show", "r-7", "--json"])
        #expect(try JSONDecoder().decode(RequestRecord.self, from: Data(json.output.utf8)) == records[7])
        let unknown = try await fixture.ctl(["requests", "show", "r-404"])
        #expect(unknown.status == 1)
        #expect(unknown.error.contains("r-404") && unknown.output.isEmpty)
    }

    @Test(arguments: [
        (["--since", "yesterday"], "30s, 15m, 1h or 2d"), (["--until", "1w"], "RFC 3339"), (["--status", "6xx"], "5xx"),
        (["--export", "xml"], "jsonl or csv"), (["--kind", "client"], "proxy, warmup or test"), (["--limit=-1"], "0 (all)"),
    ])
    func badValuesAreUsageErrorsThatTeachTheForms(arguments: [String], hint: String) async throws {
        let fixture = try Fixture()
        defer { fixture.dir.remove() }
        let result = try await fixture.ctl(["requests"] + arguments)
        #expect(result.status == 2)
        #expect(result.error.contains(hint) && result.error.contains(arguments[0].prefix { $0 != "=" }), "\(result.error)")
    }

    @Test func aMissingLogIsNotAnErrorButAnUnreadableOneIs() async throws {
        let fixture = try Fixture()
        defer { fixture.dir.remove() }
        let empty = try await fixture.ctl(["requests"])
        #expect(empty.status == 0, "\(empty.error)")
        #expect(empty.output.contains("no requests recorded yet"))
        let json = try await fixture.ctl(["requests", "--json"])
        #expect(json.status == 0)
        #expect(try fixture.decode(json.output).isEmpty)
        // A log file that cannot be read (here: a folder in its place) fails with its name.
        let bad = fixture.state.requestLogPath + "/requests.jsonl"
        try FileManager.default.createDirectory(atPath: bad, withIntermediateDirectories: true)
        let unreadable = try await fixture.ctl(["requests"])
        #expect(unreadable.status == 1)
        #expect(unreadable.error.contains(bad))
    }

    @Test func quotaShowsFiguresPerAccountAndModel() async throws {
        let fixture = try Fixture()
        defer { fixture.dir.remove() }
        let configPath = fixture.dir.path + "/config.json"
        try Data(#"{"refresher": {"interval_seconds": 60}}"#.utf8).write(to: URL(fileURLWithPath: configPath))
        let reset = fixture.now.addingTimeInterval(2 * 3600 + 30)
        let polled = Account(
            id: "acc-a", label: "alice@example.com", provider: .anthropic, baseURL: "https://api.example.com",
            credentials: .apiKey("sk-very-secret-key-0001"), quotaSource: QuotaSource(kind: .antigravity, url: "https://quota.example.com"),
            quota: AccountQuota(
                models: [
                    ModelQuota(name: "claude-sonnet-4-5", percentage: 8, resetTime: reset),
                    ModelQuota(name: "gemini-3-pro-high", percentage: 100, resetTime: reset),
                ],
                lastUpdated: fixture.now.addingTimeInterval(-600)),
            protectedModels: ["claude-sonnet-4-5"])
        let blind = Account(
            id: "acc-b", provider: .openai, baseURL: "https://api.example.com", credentials: .apiKey("sk-other-secret-key-0002"))
        try fixture.state.accounts.save(polled)
        try fixture.state.accounts.save(blind)

        let table = try await fixture.ctl(["quota", "--config", configPath])
        #expect(table.status == 0, "\(table.error)")
        let lines = table.output.split(separator: "\n").map(String.init)
        #expect(lines.first?.contains("PROTECTED") == true)
        let sonnet = try #require(lines.first { $0.contains("claude-sonnet-4-5") })
        #expect(sonnet.hasPrefix("acc-a") && sonnet.contains("8%") && sonnet.contains("(in 2h00m)") && sonnet.contains("antigravity"))
        #expect(sonnet.contains("m0") && sonnet.contains("s ago STALE") && sonnet.hasSuffix(" yes"))
        let gemini = try #require(lines.first { $0.contains("gemini-3-pro-high") })
        #expect(gemini.contains("100%") && gemini.hasSuffix(" no"))
        let blindRow = try #require(lines.first { $0.hasPrefix("acc-b") })
        #expect(blindRow.contains("no quota data yet") && blindRow.contains("headers") && blindRow.contains("never"))
        #expect(!table.output.contains("secret"), "credentials are never shown")

        let one = try await fixture.ctl(["quota", "--account", "acc-b", "--config", configPath])
        #expect(one.status == 0 && one.output.contains("acc-b") && !one.output.contains("acc-a"))

        let json = try await fixture.ctl(["quota", "--json", "--config", configPath])
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(json.output.utf8))
        let accounts = try #require(value.arrayValue)
        #expect(accounts.map { $0["account"]?.stringValue } == ["acc-a", "acc-b"])
        #expect(accounts[0]["stale"] == true && accounts[0]["quota_source"] == "antigravity")
        let models = try #require(accounts[0]["models"]?.arrayValue)
        #expect(models.map { $0["name"]?.stringValue } == ["claude-sonnet-4-5", "gemini-3-pro-high"])
        #expect(models[0]["protected"] == true && models[0]["percentage"] == 8 && models[1]["protected"] == false)
        #expect(accounts[1]["note"]?.stringValue?.contains("no quota data") == true)
        #expect(!json.output.contains("secret"))

        let unknown = try await fixture.ctl(["quota", "--account", "acc-zzz", "--config", configPath])
        #expect(unknown.status == 1)
        #expect(unknown.error.contains("acc-zzz"))
    }
}
