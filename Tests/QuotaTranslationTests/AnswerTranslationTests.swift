import Testing

@testable import QuotaTranslation

@Suite struct AnswerTranslationTests {
    private func exchange(_ client: ClientDialect, _ upstream: UpstreamDialect, stream: Bool = false) throws -> Exchange {
        let body: String
        switch client {
        case .openAI: body = #"{"model":"my-model","messages":[{"role":"user","content":"hi"}],"stream":\#(stream)}"#
        case .anthropic: body = #"{"model":"my-model","max_tokens":100,"messages":[{"role":"user","content":"hi"}],"stream":\#(stream)}"#
        case .gemini: body = #"{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}"#
        }
        return try #require(translate(body, from: client, to: upstream, parameters("up-model", stream: stream))).exchange
    }

    private func answer(_ exchange: Exchange, _ body: String) throws -> [UInt8] {
        try exchange.translateAnswer(Array(body.utf8))
    }

    private var geminiCallID: String { ToolCallID.generated(seed: "resp-77", ordinal: 0, name: "get_weather") }

    @Test func codeAssistToOpenAI() throws {
        let result = try answer(try exchange(.openAI, .geminiCodeAssist), Fixtures.codeAssistAnswer)
        expectJSON(result, """
        {"id":"resp-77","object":"chat.completion","created":1700000000,"model":"gemini-2.5-pro",
         "choices":[{"index":0,"message":{"role":"assistant","content":"Checking.","reasoning_content":"The user wants weather.",
           "tool_calls":[{"id":"\(geminiCallID)~sig~Q2FsbFNpZw==","type":"function",
                          "function":{"name":"get_weather","arguments":"{\\"city\\":\\"Paris\\",\\"days\\":3}"}}],"refusal":null},
           "logprobs":null,"finish_reason":"tool_calls"}],
         "usage":{"prompt_tokens":120,"completion_tokens":80,"total_tokens":200,
                  "prompt_tokens_details":{"cached_tokens":100},"completion_tokens_details":{"reasoning_tokens":50}}}
        """)
    }

    @Test func codeAssistToAnthropic() throws {
        let result = try answer(try exchange(.anthropic, .geminiCodeAssist), Fixtures.codeAssistAnswer)
        expectJSON(result, """
        {"id":"msg_resp-77","type":"message","role":"assistant","model":"gemini-2.5-pro",
         "content":[{"type":"thinking","thinking":"The user wants weather.","signature":"VGhvdWdodFNpZw=="},
                    {"type":"text","text":"Checking."},
                    {"type":"thinking","thinking":"","signature":"Q2FsbFNpZw=="},
                    {"type":"tool_use","id":"\(geminiCallID)","name":"get_weather","input":{"city":"Paris","days":3}}],
         "stop_reason":"tool_use","stop_sequence":null,
         "usage":{"input_tokens":20,"cache_read_input_tokens":100,"output_tokens":80}}
        """)
    }

    @Test func codeAssistToGeminiOnlyLosesTheEnvelope() throws {
        let result = try answer(try exchange(.gemini, .geminiCodeAssist), Fixtures.codeAssistAnswer)
        let inner = try #require(json(Fixtures.codeAssistAnswer)["response"])
        #expect(json(result) == inner)
        #expect(try CodeAssistEnvelope.unwrapResponse(Array(Fixtures.codeAssistAnswer.utf8)) == result)
    }

    @Test func anthropicToOpenAI() throws {
        let result = try answer(try exchange(.openAI, .anthropic), Fixtures.anthropicAnswer)
        expectJSON(result, """
        {"id":"msg_01XFDUDYJgAACzvnptvVoYEL","object":"chat.completion","created":1700000000,"model":"claude-sonnet-4-5-20250929",
         "choices":[{"index":0,"message":{"role":"assistant","content":"Let me read it.","reasoning_content":"Need the file.",
           "tool_calls":[{"id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6~sig~EuYBCkQYAiJA","type":"function",
                          "function":{"name":"read_file","arguments":"{\\"path\\":\\"a.txt\\"}"}}],"refusal":null},
           "logprobs":null,"finish_reason":"tool_calls"}],
         "usage":{"prompt_tokens":260,"completion_tokens":70,"total_tokens":330,"prompt_tokens_details":{"cached_tokens":200}}}
        """)
    }

    @Test func anthropicToGemini() throws {
        let result = try answer(try exchange(.gemini, .anthropic), Fixtures.anthropicAnswer)
        expectJSON(result, """
        {"candidates":[{"content":{"role":"model","parts":[
            {"text":"Need the file.","thought":true,"thoughtSignature":"EuYBCkQYAiJA"},
            {"text":"Let me read it."},
            {"functionCall":{"id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","name":"read_file","args":{"path":"a.txt"}}}]},
          "finishReason":"STOP","index":0}],
         "usageMetadata":{"promptTokenCount":260,"candidatesTokenCount":70,"totalTokenCount":330,"cachedContentTokenCount":200},
         "modelVersion":"claude-sonnet-4-5-20250929","responseId":"msg_01XFDUDYJgAACzvnptvVoYEL"}
        """)
    }

    @Test func openAIToAnthropic() throws {
        let result = try answer(try exchange(.anthropic, .openAI), Fixtures.openAIAnswer)
        expectJSON(result, """
        {"id":"msg_chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","type":"message","role":"assistant","model":"gpt-4o-2024-08-06",
         "content":[{"type":"tool_use","id":"call_9pw1qnYScqvGrCH58HWCvFH6","name":"get_weather","input":{"location":"Boston, MA"}}],
         "stop_reason":"tool_use","stop_sequence":null,
         "usage":{"input_tokens":18,"cache_read_input_tokens":64,"output_tokens":17}}
        """)
    }

    @Test func openAIToGemini() throws {
        let result = try answer(try exchange(.gemini, .openAI), Fixtures.openAIAnswer)
        expectJSON(result, """
        {"candidates":[{"content":{"role":"model","parts":[
            {"functionCall":{"id":"call_9pw1qnYScqvGrCH58HWCvFH6","name":"get_weather","args":{"location":"Boston, MA"}}}]},
          "finishReason":"STOP","index":0}],
         "usageMetadata":{"promptTokenCount":82,"candidatesTokenCount":17,"totalTokenCount":99,"cachedContentTokenCount":64,
                          "thoughtsTokenCount":0},
         "modelVersion":"gpt-4o-2024-08-06","responseId":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG"}
        """)
    }

    @Test func finishReasons() throws {
        func geminiAnswer(_ reason: String) -> String {
            #"{"candidates":[{"content":{"role":"model","parts":[{"text":"x"}]},"finishReason":"\#(reason)"}]}"#
        }
        let toOpenAI = try exchange(.openAI, .gemini)
        let toAnthropic = try exchange(.anthropic, .gemini)
        for (reason, openAI, anthropic) in [("STOP", "stop", "end_turn"), ("MAX_TOKENS", "length", "max_tokens"),
                                            ("SAFETY", "content_filter", "refusal"), ("RECITATION", "content_filter", "refusal"),
                                            ("PROHIBITED_CONTENT", "content_filter", "refusal")] {
            let openAIAnswer = json(try answer(toOpenAI, geminiAnswer(reason)))
            #expect(openAIAnswer["choices"]?.arrayValue?.first?["finish_reason"] == .string(openAI), "\(reason)")
            #expect(json(try answer(toAnthropic, geminiAnswer(reason)))["stop_reason"] == .string(anthropic), "\(reason)")
        }
        // A blocked prompt has no candidates.
        let blocked = json(try answer(toOpenAI, #"{"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":4}}"#))
        #expect(blocked["choices"]?.arrayValue?.first?["finish_reason"] == .string("content_filter"))
        // Anthropic stop sequences.
        let stopped = #"{"id":"msg_1","model":"c","content":[{"type":"text","text":"a"}],"stop_reason":"stop_sequence","stop_sequence":"END","usage":{"input_tokens":1,"output_tokens":1}}"#
        #expect(json(try answer(try exchange(.openAI, .anthropic), stopped))["choices"]?.arrayValue?.first?["finish_reason"] == .string("stop"))
        #expect(json(try answer(try exchange(.gemini, .anthropic), stopped))["candidates"]?.arrayValue?.first?["finishReason"] == .string("STOP"))
        // OpenAI length.
        let length = #"{"id":"c","model":"g","choices":[{"index":0,"message":{"role":"assistant","content":"ab"},"finish_reason":"length"}]}"#
        #expect(json(try answer(try exchange(.anthropic, .openAI), length))["stop_reason"] == .string("max_tokens"))
        #expect(json(try answer(try exchange(.gemini, .openAI), length))["candidates"]?.arrayValue?.first?["finishReason"] == .string("MAX_TOKENS"))
    }

    @Test func geminiUsageWhereCandidatesIncludeThoughts() throws {
        // Code Assist: total = prompt + candidates, so candidates already include the thoughts (research notes §4.2).
        let body = #"{"response":{"candidates":[{"content":{"role":"model","parts":[{"text":"x"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":30,"totalTokenCount":40,"thoughtsTokenCount":20}}}"#
        let usage = json(try answer(try exchange(.openAI, .geminiCodeAssist), body))["usage"]
        expectJSON(Array((usage ?? .null).serialized.utf8),
                   #"{"prompt_tokens":10,"completion_tokens":30,"total_tokens":40,"completion_tokens_details":{"reasoning_tokens":20}}"#)
    }

    @Test func malformedAnswersAreTypedErrors() throws {
        let exchange = try exchange(.openAI, .anthropic)
        for bad in ["not json", "[]", #"{"id":"x"}"#] {
            #expect(throws: TranslationError.self) { try answer(exchange, bad) }
        }
        do throws(TranslationError) {
            _ = try exchange.translateAnswer(Array("nope".utf8))
        } catch {
            #expect(error.httpStatus == 502)
            #expect(error.kind == .invalidUpstreamAnswer)
        }
    }

    @Test func tokenCountAnswers() throws {
        let anthropicClient = try #require(translate(#"{"model":"c","messages":[{"role":"user","content":"hi"}]}"#, from: .anthropic,
                                                     to: .geminiCodeAssist, parameters("g", kind: .countTokens))).exchange
        #expect(text(try answer(anthropicClient, #"{"response":{"totalTokens":31}}"#)) == #"{"input_tokens":31}"#)
        #expect(text(try answer(anthropicClient, #"{"totalTokens":7}"#)) == #"{"input_tokens":7}"#)
        let geminiClient = try #require(translate(#"{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}"#, from: .gemini,
                                                  to: .anthropic, parameters("c", kind: .countTokens))).exchange
        #expect(text(try answer(geminiClient, #"{"input_tokens":12}"#)) == #"{"totalTokens":12}"#)
    }
}

@Suite struct ErrorTranslationTests {
    private func translateError(client: ClientDialect, upstream: UpstreamDialect, _ body: String, status: Int) -> [UInt8] {
        let exchange = Exchange(client: client, upstream: upstream, kind: .generate, clientStreams: false, upstreamStreams: false,
                                options: TranslationOptions(),
                                answer: AnswerContext(model: "m", requestID: "r", created: 0, includeUsage: false))
        return exchange.translateError(Array(body.utf8), status: status)
    }

    static let googleQuota = #"""
    {"error":{"code":429,"status":"RESOURCE_EXHAUSTED",
      "message":"You have exhausted your capacity on this model. Your quota will reset after 0s.",
      "details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"0.479417207s"}]}}
    """#

    @Test func googleQuotaErrorForEveryClient() {
        let message = "You have exhausted your capacity on this model. Your quota will reset after 0s."
        expectJSON(translateError(client: .openAI, upstream: .geminiCodeAssist, Self.googleQuota, status: 429), """
        {"error":{"message":"\(message)","type":"rate_limit_error","param":null,"code":"RESOURCE_EXHAUSTED"}}
        """)
        expectJSON(translateError(client: .anthropic, upstream: .gemini, Self.googleQuota, status: 429), """
        {"type":"error","error":{"type":"rate_limit_error","message":"\(message)"}}
        """)
        // Same dialect: unchanged.
        #expect(translateError(client: .gemini, upstream: .geminiCodeAssist, Self.googleQuota, status: 429) == Array(Self.googleQuota.utf8))
        // Google's array form is read too.
        expectJSON(translateError(client: .anthropic, upstream: .gemini, "[" + Self.googleQuota + "]", status: 429), """
        {"type":"error","error":{"type":"rate_limit_error","message":"\(message)"}}
        """)
    }

    @Test func anthropicErrorsForOtherClients() {
        let overloaded = #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#
        expectJSON(translateError(client: .openAI, upstream: .anthropic, overloaded, status: 529),
                   #"{"error":{"message":"Overloaded","type":"server_error","param":null,"code":"overloaded_error"}}"#)
        expectJSON(translateError(client: .gemini, upstream: .anthropic, overloaded, status: 529),
                   #"{"error":{"code":529,"message":"Overloaded","status":"UNAVAILABLE"}}"#)
    }

    @Test func openAIErrorsForOtherClients() {
        let invalid = #"{"error":{"message":"Invalid 'messages[1].content'","type":"invalid_request_error","param":"messages[1].content","code":null}}"#
        expectJSON(translateError(client: .anthropic, upstream: .openAI, invalid, status: 400),
                   #"{"type":"error","error":{"type":"invalid_request_error","message":"Invalid 'messages[1].content'"}}"#)
        expectJSON(translateError(client: .gemini, upstream: .openAI, invalid, status: 400),
                   #"{"error":{"code":400,"message":"Invalid 'messages[1].content'","status":"INVALID_ARGUMENT"}}"#)
        let auth = #"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}"#
        expectJSON(translateError(client: .anthropic, upstream: .openAI, auth, status: 401),
                   #"{"type":"error","error":{"type":"authentication_error","message":"Incorrect API key provided"}}"#)
    }

    @Test func nonJSONBodiesBecomeTheMessage() {
        expectJSON(translateError(client: .anthropic, upstream: .openAI, "<html>502 Bad Gateway</html>", status: 502),
                   #"{"type":"error","error":{"type":"api_error","message":"<html>502 Bad Gateway</html>"}}"#)
        expectJSON(translateError(client: .openAI, upstream: .gemini, "", status: 503),
                   #"{"error":{"message":"upstream answered HTTP 503","type":"server_error","param":null,"code":null}}"#)
    }
}
