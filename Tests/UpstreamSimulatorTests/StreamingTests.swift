import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
import UpstreamSimulator

@Suite("Streaming")
struct StreamingTests {
    @Test("The first chunk reaches the client while the rest of the stream is still pending")
    func firstChunkBeforeLast() async throws {
        try await SimulatorHarness.with(.oneKey()) { sim in
            // 10 minutes between events: had the server buffered the stream, nothing would arrive
            // within the test's lifetime. Reading the first event proves it was flushed on its own.
            let response = try await sim.open(
                .POST, "/v1/chat/completions",
                headers: [("authorization", "Bearer sk-a"), ("x-sim-chunk-delay-ms", "600000"), ("x-sim-chunks", "3")],
                body: #"{"model":"m","stream":true}"#
            )
            #expect(response.status.code == 200)
            #expect(response.headers.first(name: "content-type") == "text/event-stream")
            #expect(response.headers.first(name: "x-ratelimit-remaining-requests") == "9")
            var received = ""
            for try await buffer in response.body {
                received += String(buffer: buffer)
                if received.contains("\n\n") { break }
            }
            let events = parseSSE(received)
            #expect(events.count == 1)
            let first = try #require(events.first.flatMap { decodeJSON($0.data) })
            #expect(first["object"] == "chat.completion.chunk")
            #expect(first["choices"]?.arrayValue?.first?["delta"]?["role"] == "assistant")
            #expect(!received.contains("[DONE]"))
        }
    }

    @Test("Chunks are spread over time by the per-chunk delay")
    func chunksArriveOverTime() async throws {
        try await SimulatorHarness.with(.oneKey()) { sim in
            let response = try await sim.open(
                .POST, "/v1/chat/completions",
                headers: [("authorization", "Bearer sk-a"), ("x-sim-chunk-delay-ms", "100"), ("x-sim-chunks", "3")],
                body: #"{"model":"m","stream":true}"#
            )
            let clock = ContinuousClock()
            var arrivals: [(ContinuousClock.Instant, String)] = []
            for try await buffer in response.body {
                arrivals.append((clock.now, String(buffer: buffer)))
            }
            let all = arrivals.map(\.1).joined()
            let firstIndex = try #require(arrivals.firstIndex { $0.1.contains("chat.completion.chunk") })
            let doneIndex = try #require(arrivals.firstIndex { $0.1.contains("[DONE]") })
            #expect(firstIndex < doneIndex)
            // role + 3 content + finish + [DONE] = 6 events with 5 pauses of 100 ms (500 ms) between
            // the first and the last; a buffered stream would deliver them together. The arrival
            // times are those of this task, which a loaded machine may run late, and late for the
            // first chunk more than for the last: 250 ms leaves that much slack.
            let spread = arrivals[doneIndex].0 - arrivals[firstIndex].0
            #expect(spread >= .milliseconds(250), "the stream arrived within \(spread)")
            #expect(parseSSE(all).count == 6)
        }
    }

    @Test("A chat stream has role, content and finish chunks, usage on request, then [DONE]")
    func chatStreamShape() async throws {
        try await SimulatorHarness.with(.oneKey()) { sim in
            let answer = try await sim.send(
                .POST, "/v1/chat/completions",
                headers: [("authorization", "Bearer sk-a"), ("x-sim-chunks", "4")],
                body: #"{"model":"m","stream":true,"stream_options":{"include_usage":true}}"#
            )
            #expect(answer.status == 200)
            #expect(answer.header("content-type") == "text/event-stream")
            let events = parseSSE(answer.body)
            #expect(events.last?.data == "[DONE]")
            let chunks = events.dropLast().compactMap { decodeJSON($0.data) }
            #expect(chunks.count == 7)  // role + 4 content + finish + usage
            #expect(chunks.allSatisfy { (chunk: JSONValue) -> Bool in chunk["object"] == .string("chat.completion.chunk") && chunk["model"] == .string("m") })
            let content = chunks.compactMap { $0["choices"]?.arrayValue?.first?["delta"]?["content"]?.stringValue }.joined()
            #expect(content == "Hello from the quota")
            #expect(chunks[5]["choices"]?.arrayValue?.first?["finish_reason"] == "stop")
            #expect(chunks[6]["usage"]?["completion_tokens"] == 4)
        }
    }

    @Test("max_tokens caps the number of content chunks")
    func maxTokensCapsChunks() async throws {
        try await SimulatorHarness.with(.oneKey()) { sim in
            let answer = try await sim.send(
                .POST, "/v1/chat/completions", headers: [("authorization", "Bearer sk-a")],
                body: #"{"model":"m","max_tokens":1,"messages":[]}"#
            )
            #expect(answer.json?["usage"]?["completion_tokens"] == 1)
        }
    }

    @Test("An Anthropic stream follows the real event sequence")
    func anthropicEventOrder() async throws {
        try await SimulatorHarness.with(.oneKey(limit: 10)) { sim in
            let answer = try await sim.message(key: "sk-a", model: "m", stream: true, extraHeaders: [("x-sim-chunks", "3")])
            #expect(answer.status == 200)
            #expect(answer.header("content-type") == "text/event-stream")
            #expect(answer.header("anthropic-ratelimit-requests-remaining") == "9")
            let events = parseSSE(answer.body)
            #expect(events.map { $0.event ?? "" } == [
                "message_start", "content_block_start", "ping",
                "content_block_delta", "content_block_delta", "content_block_delta",
                "content_block_stop", "message_delta", "message_stop",
            ])
            for event in events {
                #expect(decodeJSON(event.data)?["type"] == .string(event.event ?? ""))
            }
            #expect(decodeJSON(events[0].data)?["message"]?["model"] == "m")
            let text = events.compactMap { decodeJSON($0.data)?["delta"]?["text"]?.stringValue }.joined()
            #expect(text == "Hello from the")
            #expect(decodeJSON(events[7].data)?["delta"]?["stop_reason"] == "end_turn")
            // Every event is an `event:` line followed by a `data:` line.
            #expect(answer.body.components(separatedBy: "\n\n").filter { !$0.isEmpty }.allSatisfy {
                $0.hasPrefix("event: ") && $0.contains("\ndata: ")
            })
        }
    }

    @Test("Completions and responses stream too")
    func otherStreams() async throws {
        try await SimulatorHarness.with(.oneKey()) { sim in
            let bearer = [("authorization", "Bearer sk-a"), ("x-sim-chunks", "2")]
            let completions = try await sim.send(.POST, "/v1/completions", headers: bearer, body: #"{"model":"m","stream":true}"#)
            let completionEvents = parseSSE(completions.body)
            #expect(completionEvents.last?.data == "[DONE]")
            #expect(completionEvents.count == 4)

            let responses = try await sim.send(.POST, "/v1/responses", headers: bearer, body: #"{"model":"m","stream":true}"#)
            let responseEvents = parseSSE(responses.body)
            #expect(responseEvents.map { $0.event ?? "" } == [
                "response.created", "response.output_text.delta", "response.output_text.delta",
                "response.output_text.done", "response.completed",
            ])
            #expect(decodeJSON(responseEvents.last!.data)?["response"]?["status"] == "completed")
        }
    }

    @Test("The configured delay applies when no header overrides it")
    func configuredDelay() async throws {
        var configuration = SimulatorConfiguration.oneKey()
        configuration.streamChunkDelayMilliseconds = 30
        configuration.streamChunks = 2
        try await SimulatorHarness.with(configuration) { sim in
            let clock = ContinuousClock()
            let start = clock.now
            let answer = try await sim.chat(key: "sk-a", model: "m", stream: true)
            // role + 2 content + finish + [DONE] = 5 events, 4 pauses of 30 ms.
            #expect(clock.now - start >= .milliseconds(120))
            #expect(parseSSE(answer.body).count == 5)
        }
    }
}
