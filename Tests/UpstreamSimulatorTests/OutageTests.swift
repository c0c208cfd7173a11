import Foundation
import Testing
import UpstreamSimulator

@Suite("Instance outages")
struct OutageTests {
    @Test("An outage answers every route but /admin with its status, before any key check")
    func outageAnswersEverything() async throws {
        try await SimulatorHarness.with(.google()) { sim in
            let set = try await sim.admin(.POST, "/admin/outage", #"{"status":503}"#)
            #expect(set.status == 200)
            #expect(set.json?["outage"]?["status"] == 503)

            let codeAssist = try await sim.codeAssist("generateContent", body: codeAssistBody(model: "gemini-2.5-pro", request: geminiBody()))
            #expect(codeAssist.status == 503)
            #expect(codeAssist.json?["error"]?["status"] == "UNAVAILABLE")
            let gemini = try await sim.gemini(model: "gemini-2.5-flash", key: "unknown", body: geminiBody())
            #expect(gemini.status == 503)
            let openAI = try await sim.chat(key: "g-key", model: "m")
            #expect(openAI.status == 503)
            #expect(openAI.json?["error"]?["type"] == "server_error")
            #expect(try await sim.send(.GET, "/healthz").status == 503)
            // Nothing reached the keys.
            #expect(try await sim.state.stats(forKey: "ca-token").requests == 0)
            #expect(await sim.state.counterValues().unauthenticatedRequests == 0)

            let state = try await sim.admin(.GET, "/admin/outage")
            #expect(state.json?["outage"]?["answered"] == 4)
            #expect(state.json?["answered_total"] == 4)
            #expect(try await sim.admin(.DELETE, "/admin/outage").json?["outage"] == .null)
            #expect(try await sim.codeAssist("generateContent", body: codeAssistBody(model: "gemini-2.5-pro", request: geminiBody())).status == 200)
        }
    }

    @Test("fail_count ends the outage; 404 comes as NOT_FOUND on Google paths")
    func failCount() async throws {
        try await SimulatorHarness.with(.google()) { sim in
            try await sim.state.setOutage(Outage(status: 404, failCount: 2))
            let first = try await sim.codeAssist("loadCodeAssist", body: "{}")
            #expect(first.status == 404)
            #expect(first.json?["error"]?["status"] == "NOT_FOUND")
            #expect(try await sim.codeAssist("loadCodeAssist", body: "{}").status == 404)
            #expect(try await sim.codeAssist("loadCodeAssist", body: "{}").status == 200)
            #expect(await sim.state.currentOutage() == nil)
            #expect(await sim.state.outageAnswerCount() == 2)
        }
    }

    @Test("A reset outage drops connections without an answer")
    func resetOutage() async throws {
        try await SimulatorHarness.with(.google()) { sim in
            try await sim.state.setOutage(Outage(reset: true, failCount: 1))
            await #expect(throws: (any Error).self) {
                _ = try await sim.codeAssist("loadCodeAssist", body: "{}")
            }
            #expect(try await sim.codeAssist("loadCodeAssist", body: "{}").status == 200)
        }
    }

    @Test("Invalid outages get 400 and change nothing")
    func validation() async throws {
        try await SimulatorHarness.with(.google()) { sim in
            for body in [#"{}"#, #"{"status":200}"#, #"{"status":503,"reset":true}"#, #"{"status":503,"fail_count":0}"#, "nope"] {
                let answer = try await sim.admin(.POST, "/admin/outage", body)
                #expect(answer.status == 400, "\(body)")
            }
            #expect(await sim.state.currentOutage() == nil)
            let patch = try await sim.admin(.PATCH, "/admin/outage", "{}")
            #expect(patch.status == 405)
        }
    }

    @Test("Two instances: base_urls failover reaches the healthy one while the first answers 503")
    func failoverBetweenInstances() async throws {
        try await SimulatorHarness.with(.google()) { broken in
            try await SimulatorHarness.with(.google()) { healthy in
                try await broken.state.setOutage(Outage(status: 503))
                // What a client with base_urls [broken, healthy] does: next URL on 5xx/404.
                var answered: HTTPResult?
                for sim in [broken, healthy] {
                    let answer = try await sim.codeAssist("generateContent", body: codeAssistBody(model: "gemini-2.5-pro", request: geminiBody()))
                    if answer.status == 404 || answer.status >= 500 { continue }
                    answered = answer
                    break
                }
                #expect(answered?.status == 200)
                #expect(await broken.state.outageAnswerCount() == 1)
                #expect(try await healthy.state.stats(forKey: "ca-token").requests == 1)
                #expect(try await broken.state.stats(forKey: "ca-token").requests == 0)
            }
        }
    }
}
