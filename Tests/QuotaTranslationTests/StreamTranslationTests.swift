import Testing

@testable import QuotaTranslation

@Suite struct StreamTranslationTests {
    /// The exchange of a streaming request from `client` to `upstream`.
    static func exchange(_ client: ClientDialect, _ upstream: UpstreamDialect, includeUsage: Bool = false,
                         stream: Bool = true, streamUpstream: Bool = false) throws -> Exchange {
        let body: String
        switch client {
        case .openAI:
            body = #"{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":\#(stream),"stream_options":{"include_usage":\#(includeUsage)}}"#
        case .anthropic: body = #"{"model":"m","max_tokens":100,"messages":[{"role":"user","content":"hi"}],"stream":\#(stream)}"#
        case .gemini: body = #"{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}"#
        }
        let translated = try #require(translate(body, from: client, to: upstream,
                                                parameters("m", stream: stream, project: "p", streamUpstream: streamUpstream)))
        #expect(translated.upstreamStreams == (stream || streamUpstream))
        return translated.exchange
    }

    private static let geminiCallID = ToolCallID.generated(seed: "r1", ordinal: 0, name: "lookup")

    private static func openAIChunk(_ id: String, _ model: String, delta: String, finish: String = "null") -> String {
        #"{"id":"\#(id)","object":"chat.completion.chunk","created":1700000000,"model":"\#(model)","choices":[{"index":0,"delta":\#(delta),"logprobs":null,"finish_reason":\#(finish)}]}"#
    }

    // MARK: Gemini / Code Assist upstream

    @Test func codeAssistToOpenAI() throws {
        let exchange = try Self.exchange(.openAI, .geminiCodeAssist, includeUsage: true)
        let output = translateStream(exchange, Array(Fixtures.codeAssistStream.utf8))
        let chunk = { (delta: String, finish: String) in Self.openAIChunk("r1", "gemini-2.5-pro", delta: delta, finish: finish) }
        expectSSE(output, [
            (nil, chunk(#"{"role":"assistant","reasoning_content":"Planning"}"#, "null")),
            (nil, chunk(#"{"reasoning_content":" the call."}"#, "null")),
            (nil, chunk(#"{"content":"Hello"}"#, "null")),
            (nil, chunk(#"{"content":" wörld"}"#, "null")),
            (nil, chunk(#"{"tool_calls":[{"index":0,"id":"\#(Self.geminiCallID)~sig~U0lHMg==","type":"function","function":{"name":"lookup","arguments":""}}]}"#, "null")),
            (nil, chunk(#"{"tool_calls":[{"index":0,"function":{"arguments":"{\"q\":\"x\",\"n\":1.50}"}}]}"#, "null")),
            (nil, chunk("{}", #""tool_calls""#)),
            (nil, #"{"id":"r1","object":"chat.completion.chunk","created":1700000000,"model":"gemini-2.5-pro","choices":[],"usage":{"prompt_tokens":10,"completion_tokens":8,"total_tokens":18,"completion_tokens_details":{"reasoning_tokens":3}}}"#),
            (nil, "[DONE]"),
        ])
        expectSplitInvariant(exchange, Array(Fixtures.codeAssistStream.utf8))
    }

    @Test func codeAssistToAnthropic() throws {
        let exchange = try Self.exchange(.anthropic, .geminiCodeAssist)
        let output = translateStream(exchange, Array(Fixtures.codeAssistStream.utf8))
        expectSSE(output, [
            ("message_start", #"{"type":"message_start","message":{"id":"msg_r1","type":"message","role":"assistant","model":"gemini-2.5-pro","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":0}}}"#),
            ("content_block_start", #"{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}"#),
            ("content_block_delta", #"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Planning"}}"#),
            ("content_block_delta", #"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":" the call."}}"#),
            ("content_block_delta", #"{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"U0lHMQ=="}}"#),
            ("content_block_stop", #"{"type":"content_block_stop","index":0}"#),
            ("content_block_start", #"{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}"#),
            ("content_block_delta", #"{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Hello"}}"#),
            ("content_block_delta", #"{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":" wörld"}}"#),
            ("content_block_stop", #"{"type":"content_block_stop","index":1}"#),
            ("content_block_start", #"{"type":"content_block_start","index":2,"content_block":{"type":"thinking","thinking":""}}"#),
            ("content_block_delta", #"{"type":"content_block_delta","index":2,"delta":{"type":"signature_delta","signature":"U0lHMg=="}}"#),
            ("content_block_stop", #"{"type":"content_block_stop","index":2}"#),
            ("content_block_start", #"{"type":"content_block_start","index":3,"content_block":{"type":"tool_use","id":"\#(Self.geminiCallID)","name":"lookup","input":{}}}"#),
            ("content_block_delta", #"{"type":"content_block_delta","index":3,"delta":{"type":"input_json_delta","partial_json":"{\"q\":\"x\",\"n\":1.50}"}}"#),
            ("content_block_stop", #"{"type":"content_block_stop","index":3}"#),
            ("message_delta", #"{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"input_tokens":10,"output_tokens":8}}"#),
            ("message_stop", #"{"type":"message_stop"}"#),
        ])
        expectSplitInvariant(exchange, Array(Fixtures.codeAssistStream.utf8))
    }

    @Test func codeAssistToGeminiUnwrapsEachEvent() throws {
        let exchange = try Self.exchange(.gemini, .geminiCodeAssist)
        let output = translateStream(exchange, Array(Fixtures.codeAssistStream.utf8))
        let upstreamEvents = sseRecords(Array(Fixtures.codeAssistStream.utf8)).compactMap { $0.value?["response"] }
        let records = sseRecords(output)
        #expect(records.compactMap(\.value) == upstreamEvents)
        #expect(text(output).hasSuffix("\r\n\r\n"))
        expectSplitInvariant(exchange, Array(Fixtures.codeAssistStream.utf8))
    }

    // MARK: Anthropic upstream

    @Test func anthropicToOpenAI() throws {
        let exchange = try Self.exchange(.openAI, .anthropic)
        let output = translateStream(exchange, Array(Fixtures.anthropicStream.utf8))
        let chunk = { (delta: String, finish: String) in Self.openAIChunk("msg_01", "claude-sonnet-4-5", delta: delta, finish: finish) }
        expectSSE(output, [
            (nil, chunk(#"{"role":"assistant","reasoning_content":"Let me check the weather."}"#, "null")),
            (nil, chunk(#"{"content":"Okay, checking"}"#, "null")),
            (nil, chunk(#"{"tool_calls":[{"index":0,"id":"toolu_01T1~sig~EqQBCgIYAhIM","type":"function","function":{"name":"get_weather","arguments":""}}]}"#, "null")),
            (nil, chunk(#"{"tool_calls":[{"index":0,"function":{"arguments":"{\"location\":"}}]}"#, "null")),
            (nil, chunk(#"{"tool_calls":[{"index":0,"function":{"arguments":" \"Paris\"}"}}]}"#, "null")),
            (nil, chunk("{}", #""tool_calls""#)),
            (nil, "[DONE]"),
        ])
        expectSplitInvariant(exchange, Array(Fixtures.anthropicStream.utf8))
    }

    @Test func anthropicToGemini() throws {
        let exchange = try Self.exchange(.gemini, .anthropic)
        let output = translateStream(exchange, Array(Fixtures.anthropicStream.utf8))
        let chunk = { (parts: String) in
            #"{"candidates":[{"content":{"role":"model","parts":[\#(parts)]},"index":0}],"modelVersion":"claude-sonnet-4-5","responseId":"msg_01"}"#
        }
        expectSSE(output, [
            (nil, chunk(#"{"text":"Let me check the weather.","thought":true}"#)),
            (nil, chunk(#"{"text":"","thought":true,"thoughtSignature":"EqQBCgIYAhIM"}"#)),
            (nil, chunk(#"{"text":"Okay, checking"}"#)),
            (nil, chunk(#"{"functionCall":{"id":"toolu_01T1","name":"get_weather","args":{"location":"Paris"}}}"#)),
            (nil, #"{"candidates":[{"content":{"role":"model","parts":[]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":572,"candidatesTokenCount":89,"totalTokenCount":661,"cachedContentTokenCount":100},"modelVersion":"claude-sonnet-4-5","responseId":"msg_01"}"#),
        ])
        expectSplitInvariant(exchange, Array(Fixtures.anthropicStream.utf8))
    }

    // MARK: OpenAI upstream

    @Test func openAIToAnthropic() throws {
        let exchange = try Self.exchange(.anthropic, .openAI)
        let output = translateStream(exchange, Array(Fixtures.openAIStream.utf8))
        expectSSE(output, [
            ("message_start", #"{"type":"message_start","message":{"id":"msg_chatcmpl-1","type":"message","role":"assistant","model":"gpt-4o","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0}}}"#),
            ("content_block_start", #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#),
            ("content_block_delta", #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}"#),
            ("content_block_stop", #"{"type":"content_block_stop","index":0}"#),
            ("content_block_start", #"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"call_A","name":"f","input":{}}}"#),
            ("content_block_delta", #"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"a\":"}}"#),
            ("content_block_delta", #"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"1}"}}"#),
            ("content_block_stop", #"{"type":"content_block_stop","index":1}"#),
            ("content_block_start", #"{"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"call_B","name":"g","input":{}}}"#),
            ("content_block_delta", #"{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{}"}}"#),
            ("content_block_stop", #"{"type":"content_block_stop","index":2}"#),
            ("message_delta", #"{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"input_tokens":9,"cache_read_input_tokens":0,"output_tokens":12}}"#),
            ("message_stop", #"{"type":"message_stop"}"#),
        ])
        expectSplitInvariant(exchange, Array(Fixtures.openAIStream.utf8))
    }

    @Test func openAIToGemini() throws {
        let exchange = try Self.exchange(.gemini, .openAI)
        let output = translateStream(exchange, Array(Fixtures.openAIStream.utf8))
        let chunk = { (parts: String) in
            #"{"candidates":[{"content":{"role":"model","parts":[\#(parts)]},"index":0}],"modelVersion":"gpt-4o","responseId":"chatcmpl-1"}"#
        }
        expectSSE(output, [
            (nil, chunk(#"{"text":"Hi"}"#)),
            (nil, chunk(#"{"functionCall":{"id":"call_A","name":"f","args":{"a":1}}}"#)),
            (nil, chunk(#"{"functionCall":{"id":"call_B","name":"g","args":{}}}"#)),
            (nil, #"{"candidates":[{"content":{"role":"model","parts":[]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":12,"totalTokenCount":21,"cachedContentTokenCount":0},"modelVersion":"gpt-4o","responseId":"chatcmpl-1"}"#),
        ])
        expectSplitInvariant(exchange, Array(Fixtures.openAIStream.utf8))
    }

    @Test func openAIUsageOnlyWhenAskedFor() throws {
        let without = translateStream(try Self.exchange(.openAI, .anthropic, includeUsage: false), Array(Fixtures.anthropicStream.utf8))
        #expect(!text(without).contains(#""usage""#))
        let with = translateStream(try Self.exchange(.openAI, .anthropic, includeUsage: true), Array(Fixtures.anthropicStream.utf8))
        let usage = try #require(sseRecords(with).dropLast().last?.value)
        expectJSON(Array(usage.serialized.utf8), #"{"id":"msg_01","object":"chat.completion.chunk","created":1700000000,"model":"claude-sonnet-4-5","choices":[],"usage":{"prompt_tokens":572,"completion_tokens":89,"total_tokens":661,"prompt_tokens_details":{"cached_tokens":100}}}"#)
    }

    // MARK: Folding a stream for a client that did not ask to stream

    @Test func foldsAStreamIntoOneAnswer() throws {
        let exchange = try Self.exchange(.openAI, .geminiCodeAssist, stream: false, streamUpstream: true)
        #expect(!exchange.clientStreams)
        #expect(exchange.clientContentType == "application/json")
        var stream = exchange.makeStreamTranslator()
        let input = Array(Fixtures.codeAssistStream.utf8)
        var output: [UInt8] = []
        for piece in stride(from: 0, to: input.count, by: 7) {
            output += stream.feed(Array(input[piece..<min(piece + 7, input.count)]))
        }
        #expect(output.isEmpty)
        output = stream.finish()
        #expect(stream.answerStatus == 200)
        expectJSON(output, """
        {"id":"r1","object":"chat.completion","created":1700000000,"model":"gemini-2.5-pro",
         "choices":[{"index":0,"message":{"role":"assistant","content":"Hello wörld","reasoning_content":"Planning the call.",
           "tool_calls":[{"id":"\(Self.geminiCallID)~sig~U0lHMg==","type":"function","function":{"name":"lookup","arguments":"{\\"q\\":\\"x\\",\\"n\\":1.50}"}}],
           "refusal":null},"logprobs":null,"finish_reason":"tool_calls"}],
         "usage":{"prompt_tokens":10,"completion_tokens":8,"total_tokens":18,"completion_tokens_details":{"reasoning_tokens":3}}}
        """)
        // The same answer folded for an Anthropic client equals the whole-answer translation.
        let folded = translateStream(try Self.exchange(.gemini, .anthropic, stream: false, streamUpstream: true),
                                     Array(Fixtures.anthropicStream.utf8))
        let whole = try Self.exchange(.gemini, .anthropic, stream: false).translateAnswer(Array(#"""
            {"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5",
             "content":[{"type":"thinking","thinking":"Let me check the weather.","signature":"EqQBCgIYAhIM"},
                        {"type":"text","text":"Okay, checking"},
                        {"type":"tool_use","id":"toolu_01T1","name":"get_weather","input":{"location":"Paris"}}],
             "stop_reason":"tool_use","stop_sequence":null,
             "usage":{"input_tokens":472,"cache_read_input_tokens":100,"output_tokens":89}}
            """#.utf8))
        expectJSON(folded, text(whole))
    }

    // MARK: Failures

    @Test func upstreamErrorEventReachesTheClientInItsDialect() throws {
        let input = Array(#"""
        event: message_start
        data: {"type":"message_start","message":{"id":"msg_9","model":"c","usage":{"input_tokens":3,"output_tokens":0}}}

        event: error
        data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}

        event: message_stop
        data: {"type":"message_stop"}


        """#.utf8)
        var stream = try Self.exchange(.openAI, .anthropic).makeStreamTranslator()
        var output = stream.feed(input)
        output += stream.finish()
        expectSSE(output, [(nil, #"{"error":{"message":"Overloaded","type":"server_error","param":null,"code":"overloaded_error"}}"#)])
        #expect(stream.isFinished)
        #expect(stream.failure?.message.contains("Overloaded") == true)

        let gemini = translateStream(try Self.exchange(.gemini, .anthropic), input)
        expectSSE(gemini, [(nil, #"{"error":{"code":500,"message":"Overloaded","status":"INTERNAL"}}"#)])

        let folded = try Self.exchange(.gemini, .anthropic, stream: false, streamUpstream: true)
        var foldStream = folded.makeStreamTranslator()
        _ = foldStream.feed(input)
        let body = foldStream.finish()
        #expect(foldStream.answerStatus == 502)
        #expect(json(body)["error"]?["message"] == .string("Overloaded"))
    }

    @Test func truncatedStreamsEndWithAnError() throws {
        // Anthropic without message_stop, OpenAI without a finish reason, Gemini without finishReason.
        let anthropic = String(Fixtures.anthropicStream.split(separator: "event: message_delta")[0])
        let output = translateStream(try Self.exchange(.openAI, .anthropic), Array(anthropic.utf8))
        let last = try #require(sseRecords(output).last?.value)
        #expect(last["error"]?["message"]?.stringValue?.contains("ended before") == true)
        #expect(!text(output).contains("[DONE]"))

        let openAI = Fixtures.openAIStream.split(separator: "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{},")[0]
        let anthropicOutput = translateStream(try Self.exchange(.anthropic, .openAI), Array(openAI.utf8))
        let records = sseRecords(anthropicOutput)
        #expect(records.last?.name == "error")
        #expect(!records.contains { $0.name == "message_stop" })

        let gemini = Fixtures.codeAssistStream.split(separator: "\r\n\r\n").dropLast().joined(separator: "\r\n\r\n") + "\r\n\r\n"
        let geminiOutput = translateStream(try Self.exchange(.anthropic, .geminiCodeAssist), Array(gemini.utf8))
        #expect(sseRecords(geminiOutput).last?.name == "error")
    }

    @Test func malformedAndOversizedEvents() throws {
        let exchange = try Self.exchange(.openAI, .gemini)
        let bad = translateStream(exchange, Array("data: {\"candidates\":[}\n\ndata: {}\n\n".utf8))
        let records = sseRecords(bad)
        #expect(records.count == 1)
        #expect(records.first?.value?["error"]?["message"]?.stringValue?.contains("not valid JSON") == true)

        let options = TranslationOptions(maxEventBytes: 64)
        let small = try #require(translate(#"{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true}"#, from: .openAI,
                                           to: .gemini, parameters("m"), options: options)).exchange
        var stream = small.makeStreamTranslator()
        let first = stream.feed(Array(#"data: {"candidates":[{"content":{"parts":[{"text":"ok"}]}}]}"#.utf8) + [0x0A, 0x0A])
        #expect(sseRecords(first).first?.value?["choices"] != nil)
        let second = stream.feed(Array(("data: " + String(repeating: "x", count: 100)).utf8))
        #expect(stream.failure?.kind == .eventTooLarge)
        #expect(sseRecords(second).first?.value?["error"] != nil)
        #expect(stream.feed(Array("\n\ndata: {}\n\n".utf8)).isEmpty)
        #expect(stream.finish().isEmpty)
    }

    @Test func interleavedToolArgumentsFailForAnthropicClients() throws {
        let chunks = [
            #"{"id":"c","model":"g","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"a","function":{"name":"f","arguments":"{"}}]}}]}"#,
            #"{"id":"c","model":"g","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"b","function":{"name":"g","arguments":"{"}}]}}]}"#,
            #"{"id":"c","model":"g","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"}"}}]}}]}"#,
        ].map { "data: " + $0 + "\n\n" }.joined()
        let output = translateStream(try Self.exchange(.anthropic, .openAI), Array(chunks.utf8))
        #expect(sseRecords(output).last?.name == "error")
        // A Gemini client gets both calls whole.
        let gemini = translateStream(try Self.exchange(.gemini, .openAI), Array((chunks + "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\ndata: [DONE]\n\n").utf8))
        let calls = sseRecords(gemini).compactMap { $0.value?["candidates"]?.arrayValue?.first?["content"]?["parts"]?.arrayValue?.first?["functionCall"] }
        #expect(calls.count == 2)
        #expect(calls.first?["args"] == json("{}"))
    }
}
