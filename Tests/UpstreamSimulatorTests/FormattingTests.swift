import Foundation
import Testing
import UpstreamSimulator

@Suite("Formatting and configuration decoding")
struct FormattingTests {
    @Test("OpenAI reset durations look like OpenAI's", arguments: [
        (0.0, "0s"), (0.02, "20ms"), (1.0, "1s"), (1.5, "1.5s"), (17.28, "17.28s"), (360.0, "6m0s"),
        (3599.5, "59m59.5s"), (3600.0, "1h0m0s"), (5025.0, "1h23m45s"),
    ])
    func openAIDuration(seconds: Double, expected: String) {
        #expect(RateLimitFormatting.openAIDuration(seconds: seconds) == expected)
    }

    @Test("RFC 3339 timestamps are UTC with whole seconds, rounded up")
    func rfc3339() {
        #expect(RateLimitFormatting.rfc3339(Date(timeIntervalSince1970: 1_795_370_400)) == "2026-11-22T18:00:00Z")
        #expect(RateLimitFormatting.rfc3339(Date(timeIntervalSince1970: 1_795_370_399.2)) == "2026-11-22T18:00:00Z")
    }

    @Test("A configuration file decodes with snake_case keys and defaults")
    func decodeConfiguration() throws {
        let json = """
            {"keys": [{"key": "sk-a", "models": {"m": {"limit": 100, "remaining": 80, "reset_seconds": 60}},
                       "fault": {"mode": "rate_limited", "retry_after": 5, "fail_count": 2}},
                      {"key": "sk-b", "strict_models": true, "forbidden": true}],
             "stream_chunk_delay_ms": 15,
             "refresh_tokens": {"rt-1": {"key_template": "sk-a", "rotate": true}},
             "mint": {"fail_count": 1}}
            """
        let configuration = try SimulatorConfiguration.decode(from: Data(json.utf8))
        #expect(configuration.keys.count == 2)
        #expect(configuration.keys[0].models["m"] == ModelQuota(limit: 100, remaining: 80, resetSeconds: 60))
        #expect(configuration.keys[0].fault == Fault(mode: .rateLimited, retryAfter: 5, failCount: 2))
        #expect(configuration.keys[1].strictModels && configuration.keys[1].forbidden)
        #expect(configuration.streamChunkDelayMilliseconds == 15)
        #expect(configuration.streamChunks == 5)
        #expect(configuration.refreshTokens["rt-1"] == RefreshTokenConfiguration(keyTemplate: "sk-a", rotate: true, expiresIn: 3600))
        #expect(configuration.mint.failCount == 1)
        #expect(configuration.mint.retryAfter == 3600)

        let roundTrip = try JSONDecoder().decode(SimulatorConfiguration.self, from: JSONEncoder().encode(configuration))
        #expect(roundTrip == configuration)
    }

    @Test("Invalid configurations are rejected with a message naming the problem")
    func invalidConfigurations() {
        let cases: [(String, String)] = [
            (#"{"keys":[{"key":"a"},{"key":"a"}]}"#, "listed twice"),
            (#"{"keys":[{"key":"a","fault":{"mode":"boom"}}]}"#, "unknown fault mode 'boom'"),
            (#"{"keys":[{"key":""}]}"#, "non-empty"),
            (#"{"refresh_tokens":{"rt":{"key_template":"none"}}}"#, "not a configured key"),
            (#"{"stream_chunk_delay_ms":-1}"#, "stream_chunk_delay_ms"),
            (#"{"keys": 3}"#, "'keys'"),
            ("not json", "not valid JSON"),
        ]
        for (json, fragment) in cases {
            #expect {
                try SimulatorConfiguration.decode(from: Data(json.utf8))
            } throws: { error in
                "\(error)".contains(fragment)
            }
        }
    }

    @Test("A configuration file that does not exist is reported")
    func missingFile() {
        #expect(throws: SimulatorError.self) {
            try SimulatorConfiguration.load(fromFile: "/nonexistent/sim.json")
        }
    }
}
