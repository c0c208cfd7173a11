import Foundation
import Testing
import UpstreamSimulator

@Suite("Quota endpoints")
struct QuotaEndpointTests {
    static let configuration = SimulatorConfiguration(keys: [
        SimulatedKey(key: "ag-1", models: [
            "gemini-3-pro-high": ModelQuota(limit: 10, remaining: 8, resetSeconds: 3600),
            "claude-sonnet-4-5": ModelQuota(limit: 4, remaining: 1, resetSeconds: 600),
        ]),
        SimulatedKey(key: "ag-banned", models: ["gemini-3-flash": ModelQuota(limit: 1)], forbidden: true),
    ])

    @Test("fetchAvailableModels (colon in the path) reports remainingFraction and resetTime")
    func fetchAvailableModels() async throws {
        try await SimulatorHarness.with(Self.configuration) { sim in
            let answer = try await sim.send(.POST, "/v1internal:fetchAvailableModels", headers: [("authorization", "Bearer ag-1")], body: "{}")
            #expect(answer.status == 200)
            let models = try #require(answer.json?["models"])
            let pro = try #require(models["gemini-3-pro-high"]?["quotaInfo"])
            #expect(pro["remainingFraction"]?.doubleValue == 0.8)
            #expect(pro["resetTime"] == .string(RateLimitFormatting.rfc3339(sim.clock.now.addingTimeInterval(3600))))
            #expect(models["claude-sonnet-4-5"]?["quotaInfo"]?["remainingFraction"]?.doubleValue == 0.25)

            let encoded = try await sim.send(.POST, "/v1internal%3AfetchAvailableModels", headers: [("authorization", "Bearer ag-1")], body: "{}")
            #expect(encoded.status == 200)
            #expect(try await sim.state.stats(forKey: "ag-1").byPath == ["/v1internal:fetchAvailableModels": 2])
        }
    }

    @Test("A forbidden key gets 403; an unknown key 401")
    func forbidden() async throws {
        try await SimulatorHarness.with(Self.configuration) { sim in
            let banned = try await sim.send(.POST, "/v1internal:fetchAvailableModels", headers: [("authorization", "Bearer ag-banned")], body: "{}")
            #expect(banned.status == 403)
            #expect(banned.json?["error"]?["status"] == "PERMISSION_DENIED")
            #expect(try await sim.send(.GET, "/quota", headers: [("authorization", "Bearer ag-banned")]).status == 403)
            let unknown = try await sim.send(.POST, "/v1internal:fetchAvailableModels", headers: [("authorization", "Bearer who")], body: "{}")
            #expect(unknown.status == 401)
        }
    }

    @Test("GET /quota lists models with percentage and reset_time")
    func genericQuota() async throws {
        try await SimulatorHarness.with(Self.configuration) { sim in
            let answer = try await sim.send(.GET, "/quota", headers: [("authorization", "Bearer ag-1")])
            #expect(answer.status == 200)
            let models = try #require(answer.json?["models"]?.arrayValue)
            #expect(models.compactMap { $0["name"]?.stringValue } == ["claude-sonnet-4-5", "gemini-3-pro-high"])
            #expect(models[1]["percentage"]?.doubleValue == 80.0)
            #expect(models[0]["percentage"]?.doubleValue == 25.0)
            #expect(models[1]["reset_time"] == .string(RateLimitFormatting.rfc3339(sim.clock.now.addingTimeInterval(3600))))
            // Quota use on a model route shows up at once.
            #expect(try await sim.chat(key: "ag-1", model: "gemini-3-pro-high").status == 200)
            let after = try await sim.send(.GET, "/quota", headers: [("authorization", "Bearer ag-1")])
            #expect(after.json?["models"]?.arrayValue?[1]["percentage"]?.doubleValue == 70.0)
        }
    }

    @Test("malformed_quota garbles both quota endpoints but not model routes; quota_exhausted reports zero")
    func malformedAndExhausted() async throws {
        try await SimulatorHarness.with(Self.configuration) { sim in
            try await sim.state.setFault(Fault(mode: .malformedQuota), forKey: "ag-1")
            let antigravity = try await sim.send(.POST, "/v1internal:fetchAvailableModels", headers: [("authorization", "Bearer ag-1")], body: "{}")
            #expect(antigravity.status == 200)
            #expect(antigravity.header("content-type") == "application/json")
            #expect(antigravity.json == nil)
            let generic = try await sim.send(.GET, "/quota", headers: [("authorization", "Bearer ag-1")])
            #expect(generic.status == 200)
            #expect(generic.json == nil)
            #expect(try await sim.chat(key: "ag-1", model: "gemini-3-pro-high").status == 200)

            try await sim.state.setFault(Fault(mode: .quotaExhausted), forKey: "ag-1")
            let exhausted = try await sim.send(.GET, "/quota", headers: [("authorization", "Bearer ag-1")])
            #expect(exhausted.json?["models"]?.arrayValue?.allSatisfy { $0["percentage"]?.doubleValue == 0 } == true)

            try await sim.state.setFault(Fault(mode: .unavailable, failCount: 1), forKey: "ag-1")
            #expect(try await sim.send(.GET, "/quota", headers: [("authorization", "Bearer ag-1")]).status == 503)
            #expect(try await sim.send(.GET, "/quota", headers: [("authorization", "Bearer ag-1")]).status == 200)
        }
    }
}
