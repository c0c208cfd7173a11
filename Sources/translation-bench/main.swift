// Cost of protocol translation per request, answer and stream, in a release build:
//   swift run -c release translation-bench [iterations]
// Prints the median of 5 rounds in microseconds of this thread's CPU time per operation (CPU time,
// not wall time, so other load on the machine does not inflate it). No I/O besides printing.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import QuotaTranslation

let iterations = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 2000
/// Only cases whose name contains this text (second argument), for profiling one of them.
let only = CommandLine.arguments.dropFirst(2).first

func measure(_ name: String, bytes: Int, _ body: () -> Void) {
    if let only, !name.contains(only) { return }
    for _ in 0..<max(10, iterations / 20) { body() }
    var rounds: [Double] = []
    for _ in 0..<5 {
        let start = cpuNanoseconds()
        for _ in 0..<iterations { body() }
        let nanoseconds = Double(cpuNanoseconds() - start)
        rounds.append(nanoseconds / Double(iterations) / 1000)
    }
    rounds.sort()
    let median = rounds[2]
    let padded = name + String(repeating: " ", count: max(0, 58 - name.count))
    let size = "\(bytes) B"
    print(padded + String(repeating: " ", count: max(0, 10 - size.count)) + size + "   " + format(median) + " µs")
}

func cpuNanoseconds() -> Int {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return time.tv_sec * 1_000_000_000 + time.tv_nsec
}

func format(_ value: Double) -> String {
    let hundredths = Int(value * 100 + 0.5)
    let fraction = hundredths % 100
    return "\(hundredths / 100)." + (fraction < 10 ? "0" : "") + "\(fraction)"
}

// MARK: Bodies

let small = Array(#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello in one word."}],"max_tokens":16}"#.utf8)

/// An agentic request: system prompt, 3 tools with schemas, 6 turns with tool calls and results.
func agenticOpenAI(turns: Int) -> [UInt8] {
    var messages = [#"{"role":"system","content":"You are a careful coding assistant. Use the tools to read and edit files; explain briefly what you changed and why. Never invent file contents."}"#]
    for turn in 0..<turns {
        messages.append(#"{"role":"user","content":"Please look at Sources/App/File\#(turn).swift and fix the failing test in Tests/AppTests/File\#(turn)Tests.swift; the error says the value is off by one."}"#)
        messages.append(#"{"role":"assistant","content":"I will read the file first.","tool_calls":[{"id":"call_\#(turn)a","type":"function","function":{"name":"read_file","arguments":"{\"path\":\"Sources/App/File\#(turn).swift\",\"start_line\":1,\"end_line\":120}"}}]}"#)
        messages.append(#"{"role":"tool","tool_call_id":"call_\#(turn)a","content":"struct Counter {\n    var value = 0\n    mutating func increment() { value += 2 }\n}\n// … 100 more lines of code that the model reads to understand the context of the change …"}"#)
    }
    let tools = #"""
    [{"type":"function","function":{"name":"read_file","description":"Read a file of the workspace","parameters":{"type":"object","properties":{"path":{"type":"string","description":"Path relative to the workspace"},"start_line":{"type":"integer","minimum":1},"end_line":{"type":"integer"}},"required":["path"],"additionalProperties":false}}},
     {"type":"function","function":{"name":"edit_file","description":"Replace text in a file","parameters":{"type":"object","properties":{"path":{"type":"string"},"old_text":{"type":"string"},"new_text":{"type":"string"}},"required":["path","old_text","new_text"],"additionalProperties":false}}},
     {"type":"function","function":{"name":"run_tests","description":"Run the test suite","parameters":{"type":"object","properties":{"filter":{"type":["string","null"]}},"additionalProperties":false}}}]
    """#
    return Array(#"{"model":"gpt-4o","messages":[\#(messages.joined(separator: ","))],"tools":\#(tools),"tool_choice":"auto","temperature":0.2,"max_tokens":4096,"stream":true,"stream_options":{"include_usage":true}}"#.utf8)
}

let medium = agenticOpenAI(turns: 6)
let large = agenticOpenAI(turns: 60)

func parameters(_ model: String) -> RequestParameters {
    RequestParameters(upstreamModel: model, project: "project-1", requestID: "bench", created: 1_700_000_000)
}

func translated(_ body: [UInt8], _ client: ClientDialect, _ upstream: UpstreamDialect) -> [UInt8] {
    try! Translator(client: client, upstream: upstream).translateRequest(body, parameters("m")).body
}

// The same conversations as Anthropic requests (translated once, outside the timing).
let mediumAnthropic = translated(medium, .openAI, .anthropic)
let largeAnthropic = translated(large, .openAI, .anthropic)

print("Baselines: same-protocol pass-through (what the native path would copy) and a copy of the body")
for (name, body) in [("small", small), ("agentic 6 turns", medium), ("agentic 60 turns", large)] {
    let passThrough = Translator(client: .openAI, upstream: .openAI)
    let parameters = parameters("gpt-4o")
    measure("  openai → openai (parse only), \(name)", bytes: body.count) {
        _ = try! passThrough.translateRequest(body, parameters)
    }
    measure("  copy of the body, \(name)", bytes: body.count) {
        var copy = [UInt8]()
        copy.append(contentsOf: body)
        precondition(copy.count == body.count)
    }
}

print("Request translation (client body → upstream body)")
for (name, body, client) in [("small", small, ClientDialect.openAI), ("agentic 6 turns", medium, .openAI),
                             ("agentic 60 turns", large, .openAI), ("agentic 6 turns", mediumAnthropic, .anthropic),
                             ("agentic 60 turns", largeAnthropic, .anthropic)] {
    for upstream in [UpstreamDialect.openAI, .anthropic, .gemini, .geminiCodeAssist] where upstream.rawValue != client.rawValue {
        let translator = Translator(client: client, upstream: upstream)
        let parameters = parameters(upstream == .anthropic ? "claude-sonnet-4-5" : "gemini-2.5-pro")
        measure("  \(client.rawValue) → \(upstream.rawValue), \(name)", bytes: body.count) {
            _ = try! translator.translateRequest(body, parameters)
        }
    }
}

// MARK: Answers

let geminiAnswer = Array(#"""
{"response":{"candidates":[{"content":{"role":"model","parts":[{"text":"I looked at the file: `increment()` adds 2 instead of 1, which is why the test sees an off-by-one value. I changed it to add 1 and the test passes now. Let me know if you also want the other counters checked.","thoughtSignature":"CiQBjz1rX0vJ3Zm9Qp0XrT5p4h1yV2n8w7s6d5f4g3h2j1k0l9m8n7b6v5c4x3z2a1"},{"functionCall":{"name":"run_tests","args":{"filter":"CounterTests"}}}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":2931,"candidatesTokenCount":71,"totalTokenCount":3102,"cachedContentTokenCount":2048,"thoughtsTokenCount":100},"modelVersion":"gemini-2.5-pro","responseId":"abc123"},"traceId":"t"}
"""#.utf8)
let anthropicAnswer = Array(#"""
{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{"type":"thinking","thinking":"The test expects 1 but increment adds 2.","signature":"EuYBCkQYAiJAmKqZkF3l0s1VbG1t2n3p4q5r6s7t8u9v0w1x2y3z4"},{"type":"text","text":"I looked at the file: `increment()` adds 2 instead of 1, which is why the test sees an off-by-one value. I will fix it."},{"type":"tool_use","id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","name":"edit_file","input":{"path":"Sources/App/File0.swift","old_text":"value += 2","new_text":"value += 1"}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":2931,"cache_read_input_tokens":2048,"output_tokens":171}}
"""#.utf8)
let openAIAnswer = Array(#"""
{"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion","created":1741570283,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant","content":"I looked at the file: `increment()` adds 2 instead of 1, which is why the test sees an off-by-one value. I will fix it.","tool_calls":[{"id":"call_9pw1qnYScqvGrCH58HWCvFH6","type":"function","function":{"name":"edit_file","arguments":"{\"path\":\"Sources/App/File0.swift\",\"old_text\":\"value += 2\",\"new_text\":\"value += 1\"}"}}],"refusal":null},"logprobs":null,"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":2931,"completion_tokens":171,"total_tokens":3102,"prompt_tokens_details":{"cached_tokens":2048}}}
"""#.utf8)

func exchange(_ client: ClientDialect, _ upstream: UpstreamDialect, stream: Bool) -> Exchange {
    let body: [UInt8]
    switch client {
    case .openAI: body = Array(#"{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":\#(stream),"stream_options":{"include_usage":true}}"#.utf8)
    case .anthropic: body = Array(#"{"model":"m","max_tokens":100,"messages":[{"role":"user","content":"hi"}],"stream":\#(stream)}"#.utf8)
    case .gemini: body = Array(#"{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}"#.utf8)
    }
    var parameters = parameters("m")
    parameters.clientStreams = stream
    return try! Translator(client: client, upstream: upstream).translateRequest(body, parameters).exchange
}

print("Answer translation (whole upstream answer → client answer)")
for (name, answer, upstream) in [("gemini-code-assist", geminiAnswer, UpstreamDialect.geminiCodeAssist),
                                 ("anthropic", anthropicAnswer, .anthropic), ("openai", openAIAnswer, .openAI)] {
    for client in ClientDialect.allCases where client.rawValue != upstream.rawValue {
        let exchange = exchange(client, upstream, stream: false)
        measure("  \(name) → \(client.rawValue)", bytes: answer.count) {
            _ = try! exchange.translateAnswer(answer)
        }
    }
}

// MARK: Streams

/// A Code Assist stream of 100 text events and a tool call, as it arrives (pieces of ~1 KiB).
let geminiStream: [UInt8] = {
    var events: [String] = []
    for index in 0..<100 {
        events.append(#"data: {"response":{"candidates":[{"content":{"role":"model","parts":[{"text":"token \#(index) of a streamed answer, "}]}}],"usageMetadata":{"promptTokenCount":2931,"totalTokenCount":2931},"modelVersion":"gemini-2.5-pro","responseId":"abc123"},"traceId":"t"}"#)
    }
    events.append(#"data: {"response":{"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"run_tests","args":{"filter":"CounterTests"}},"thoughtSignature":"CiQBjz1rX0vJ3Zm9"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":2931,"candidatesTokenCount":171,"totalTokenCount":3102},"modelVersion":"gemini-2.5-pro","responseId":"abc123"}}"#)
    return Array(events.map { $0 + "\r\n\r\n" }.joined().utf8)
}()

let anthropicStream: [UInt8] = {
    var events = [#"event: message_start"# + "\n" + #"data: {"type":"message_start","message":{"id":"msg_01","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":2931,"output_tokens":1}}}"#,
                  "event: content_block_start\n" + #"data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#]
    for index in 0..<100 {
        events.append("event: content_block_delta\n" + #"data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"token \#(index) of a streamed answer, "}}"#)
    }
    events.append("event: content_block_stop\n" + #"data: {"type":"content_block_stop","index":0}"#)
    events.append("event: message_delta\n" + #"data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":171}}"#)
    events.append("event: message_stop\n" + #"data: {"type":"message_stop"}"#)
    return Array(events.map { $0 + "\n\n" }.joined().utf8)
}()

let openAIStream: [UInt8] = {
    var events: [String] = []
    for index in 0..<100 {
        events.append(#"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"token \#(index) of a streamed answer, "},"logprobs":null,"finish_reason":null}]}"#)
    }
    events.append(#"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}"#)
    events.append(#"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[],"usage":{"prompt_tokens":2931,"completion_tokens":171,"total_tokens":3102}}"#)
    events.append("[DONE]")
    return Array(events.map { "data: " + $0 + "\n\n" }.joined().utf8)
}()

print("Stream translation (whole stream of ~100 events fed in 1 KiB pieces; divide by 100 for one event)")
for (name, stream, upstream) in [("gemini-code-assist", geminiStream, UpstreamDialect.geminiCodeAssist),
                                 ("anthropic", anthropicStream, .anthropic), ("openai", openAIStream, .openAI)] {
    for client in ClientDialect.allCases where client.rawValue != upstream.rawValue {
        let exchange = exchange(client, upstream, stream: true)
        measure("  \(name) → \(client.rawValue), 100 events", bytes: stream.count) {
            var translator = exchange.makeStreamTranslator()
            var start = 0
            while start < stream.count {
                let end = min(start + 1024, stream.count)
                _ = translator.feed(Array(stream[start..<end]))
                start = end
            }
            _ = translator.finish()
        }
    }
}
