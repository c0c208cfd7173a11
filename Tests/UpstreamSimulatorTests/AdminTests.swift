import Foundation
import Testing
import UpstreamSimulator

@Suite("Admin API")
struct AdminTests {
    @Test("Stats record the exact last body and the auth headers the client sent")
    func statsRecordBodyAndHeaders() async throws {
        try await SimulatorHarness.with(.oneKey()) { sim in
            let openAIBody = "{ \"model\" : \"m\",\n  \"messages\": [{\"role\":\"user\",\"content\":\"héllo\"}], \"x\": 1.50 }"
            _ = try await sim.send(.POST, "/v1/chat/completions", headers: [("authorization", "Bearer sk-a")], body: openAIBody)
            let afterOpenAI = try await sim.admin(.GET, "/admin/keys/sk-a/stats")
            #expect(afterOpenAI.status == 200)
            let stats = try JSONDecoder().decode(KeyStats.self, from: Data(afterOpenAI.body.utf8))
            #expect(stats.requests == 1)
            #expect(stats.lastRequest?.body == openAIBody)
            #expect(stats.lastRequest?.headers["authorization"] == "Bearer sk-a")
            #expect(stats.lastRequest?.method == "POST")
            #expect(stats.lastRequest?.path == "/v1/chat/completions")

            let anthropicBody = #"{"model":"m","max_tokens":3,"messages":[]}"#
            _ = try await sim.send(
                .POST, "/v1/messages", headers: [("x-api-key", "sk-a"), ("anthropic-version", "2023-06-01")], body: anthropicBody
            )
            let afterAnthropic = try await sim.admin(.GET, "/admin/keys/sk-a/stats")
            #expect(afterAnthropic.json?["requests"] == 2)
            #expect(afterAnthropic.json?["by_path"]?["/v1/chat/completions"] == 1)
            #expect(afterAnthropic.json?["by_path"]?["/v1/messages"] == 1)
            #expect(afterAnthropic.json?["last_request"]?["body"] == .string(anthropicBody))
            #expect(afterAnthropic.json?["last_request"]?["headers"]?["x-api-key"] == "sk-a")
            #expect(afterAnthropic.json?["last_request"]?["headers"]?["anthropic-version"] == "2023-06-01")

            #expect(try await sim.admin(.POST, "/admin/reset-counters").status == 200)
            let cleared = try await sim.state.stats(forKey: "sk-a")
            #expect(cleared.requests == 0)
            #expect(cleared.lastRequest == nil)
            #expect(try await sim.admin(.GET, "/admin/keys/sk-a/stats").json?["last_request"] == .null)
        }
    }

    @Test("Keys and quotas can be created, changed and removed at run time")
    func keyLifecycle() async throws {
        try await SimulatorHarness.with(SimulatorConfiguration()) { sim in
            #expect(try await sim.chat(key: "sk-new", model: "m").status == 401)
            let put = try await sim.admin(.PUT, "/admin/keys/sk-new", #"{"models":{"m":{"limit":3,"remaining":2,"reset_seconds":120}}}"#)
            #expect(put.status == 200)
            #expect(put.json?["key"] == "sk-new")
            let chat = try await sim.chat(key: "sk-new", model: "m")
            #expect(chat.status == 200)
            #expect(chat.header("x-ratelimit-remaining-requests") == "1")
            #expect(chat.header("x-ratelimit-reset-requests") == "2m0s")

            let quota = try await sim.admin(.POST, "/admin/keys/sk-new/quota", #"{"model":"m","remaining":0,"limit":100,"reset_seconds":60}"#)
            #expect(quota.status == 200)
            #expect(quota.json?["models"]?["m"]?["limit"] == 100)
            #expect(try await sim.chat(key: "sk-new", model: "m").status == 429)
            #expect(try await sim.admin(.POST, "/admin/keys/sk-new/quota", #"{"model":"m","remaining":5}"#).status == 200)
            let refilled = try await sim.chat(key: "sk-new", model: "m")
            #expect(refilled.header("x-ratelimit-limit-requests") == "100")
            #expect(refilled.header("x-ratelimit-remaining-requests") == "4")

            let state = try await sim.admin(.GET, "/admin/state")
            #expect(state.status == 200)
            let snapshot = try JSONDecoder().decode(SimulatorSnapshot.self, from: Data(state.body.utf8))
            #expect(snapshot.configuration.keys.map(\.key) == ["sk-new"])
            #expect(snapshot.configuration.keys.first?.models["m"]?.remaining == 4)
            #expect(snapshot.stats["sk-new"]?.requests == 3)  // the 401 before the key existed is not counted
            #expect(snapshot.resetAt["sk-new"]?["m"] == RateLimitFormatting.rfc3339(sim.clock.now.addingTimeInterval(60)))

            #expect(try await sim.admin(.DELETE, "/admin/keys/sk-new").status == 200)
            #expect(try await sim.chat(key: "sk-new", model: "m").status == 401)
        }
    }

    @Test("Bad admin input gets a clear 4xx JSON error")
    func validation() async throws {
        try await SimulatorHarness.with(.oneKey()) { sim in
            let cases: [(HTTPResult, Int, String)] = [
                (try await sim.admin(.PUT, "/admin/keys/sk-x", "{nope"), 400, "not valid JSON"),
                (try await sim.admin(.PUT, "/admin/keys/sk-x", #"{"key":"other"}"#), 400, "does not match"),
                (try await sim.admin(.PUT, "/admin/keys/sk-x", #"{"models":{"m":{"limit":1,"remaining":5}}}"#), 400, "remaining"),
                (try await sim.admin(.PUT, "/admin/keys/sk-x", #"{"models":{"m":{"remaining":5}}}"#), 400, "limit"),
                (try await sim.admin(.GET, "/admin/keys/nobody/stats"), 404, "unknown key 'nobody'"),
                (try await sim.admin(.POST, "/admin/keys/nobody/quota", #"{"model":"m"}"#), 404, "unknown key"),
                (try await sim.admin(.POST, "/admin/keys/sk-a/quota", #"{"remaining":1}"#), 400, "model"),
                (try await sim.admin(.POST, "/admin/keys/sk-a/quota", #"{"model":"m","reset_seconds":0}"#), 400, "reset_seconds"),
                (try await sim.admin(.PUT, "/admin/refresh-tokens/rt", #"{"key_template":"ghost"}"#), 400, "ghost"),
                (try await sim.admin(.POST, "/admin/settings", #"{"stream_chunks":0}"#), 400, "stream_chunks"),
                (try await sim.admin(.PUT, "/admin/config", #"{"keys":[{"key":"a"},{"key":"a"}]}"#), 400, "twice"),
                (try await sim.admin(.GET, "/admin/whatever"), 404, "Unknown admin route"),
                (try await sim.admin(.PATCH, "/admin/keys/sk-a"), 405, "not allowed"),
                (try await sim.admin(.POST, "/admin/keys/sk-a/fault"), 400, "JSON body is required"),
            ]
            for (answer, status, fragment) in cases {
                #expect(answer.status == status, "\(answer.body)")
                let message = answer.json?["error"]?["message"]?.stringValue ?? ""
                #expect(message.contains(fragment), "\(message)")
            }
            #expect(await sim.state.keyNames() == ["sk-a"])
        }
    }

    @Test("The whole configuration and the streaming pace can be replaced")
    func configAndSettings() async throws {
        try await SimulatorHarness.with(.oneKey()) { sim in
            let replaced = try await sim.admin(.PUT, "/admin/config", #"{"keys":[{"key":"k2","strict_models":true,"models":{"x":{"limit":2}}}],"stream_chunks":2}"#)
            #expect(replaced.status == 200)
            #expect(try await sim.chat(key: "sk-a", model: "m").status == 401)
            #expect(try await sim.chat(key: "k2", model: "x").json?["usage"]?["completion_tokens"] == 2)
            let settings = try await sim.admin(.POST, "/admin/settings", #"{"stream_chunks":3,"stream_chunk_delay_ms":1}"#)
            #expect(settings.json?["stream_chunks"] == 3)
            #expect(settings.json?["stream_chunk_delay_ms"] == 1)
            #expect(try await sim.admin(.GET, "/admin/config").json?["stream_chunks"] == 3)
            #expect(try await sim.admin(.GET, "/admin/keys/k2").json?["strict_models"] == true)
            #expect(try await sim.send(.GET, "/healthz").json?["status"] == "ok")
        }
    }
}
