import Testing

@testable import QuotaTranslation

@Suite struct RequestTranslationTests {
    // MARK: OpenAI client

    @Test func openAIToAnthropic() throws {
        let result = try #require(translate(Fixtures.openAIRequest, from: .openAI, to: .anthropic, parameters("claude-sonnet-4-5")))
        #expect(result.upstreamStreams)
        #expect(result.exchange.clientStreams)
        expectJSON(result.body, """
        {"model":"claude-sonnet-4-5","max_tokens":1024,"system":"You are a coding assistant.",
         "messages":[
          {"role":"user","content":[{"type":"text","text":"What is in this image, and what's the weather in Paris?"},
                                    {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}}]},
          {"role":"assistant","content":[{"type":"tool_use","id":"call_abc","name":"get_weather","input":{"city":"Paris","unit":"c"}}]},
          {"role":"user","content":[{"type":"tool_result","tool_use_id":"call_abc","content":"{\\"temp\\":21.5}"}]},
          {"role":"assistant","content":[{"type":"text","text":"It is 21.5 °C in Paris."}]},
          {"role":"user","content":[{"type":"text","text":"Thanks!"}]}],
         "tools":[{"name":"get_weather","description":"Current weather","input_schema":\(Fixtures.openAIWeatherSchema)}],
         "tool_choice":{"type":"auto","disable_parallel_tool_use":true},
         "temperature":0.7,"top_p":0.9,"stop_sequences":["\\n\\nEND"],"stream":true,"metadata":{"user_id":"user-123"}}
        """)
    }

    @Test func openAIToGemini() throws {
        let result = try #require(translate(Fixtures.openAIRequest, from: .openAI, to: .gemini, parameters("gemini-2.5-pro")))
        #expect(result.upstreamStreams)
        expectJSON(result.body, Self.openAIAsGemini)
    }

    static let openAIAsGemini = """
    {"systemInstruction":{"role":"user","parts":[{"text":"You are a coding assistant."}]},
     "tools":[{"functionDeclarations":[{"name":"get_weather","description":"Current weather",
        "parameters":{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["c","f"]}},"required":["city"]}}]}],
     "toolConfig":{"functionCallingConfig":{"mode":"AUTO"}},
     "generationConfig":{"temperature":0.7,"topP":0.9,"maxOutputTokens":1024,"stopSequences":["\\n\\nEND"],"seed":42},
     "contents":[
      {"role":"user","parts":[{"text":"What is in this image, and what's the weather in Paris?"},{"inlineData":{"mimeType":"image/png","data":"iVBORw0KGgo="}}]},
      {"role":"model","parts":[{"functionCall":{"id":"call_abc","name":"get_weather","args":{"city":"Paris","unit":"c"}},"thoughtSignature":"skip_thought_signature_validator"}]},
      {"role":"user","parts":[{"functionResponse":{"id":"call_abc","name":"get_weather","response":{"temp":21.5}}}]},
      {"role":"model","parts":[{"text":"It is 21.5 °C in Paris."}]},
      {"role":"user","parts":[{"text":"Thanks!"}]}]}
    """

    @Test func openAIToCodeAssistWrapsTheGeminiRequest() throws {
        let result = try #require(translate(Fixtures.openAIRequest, from: .openAI, to: .geminiCodeAssist,
                                            parameters("gemini-2.5-pro", project: "proj-1")))
        expectJSON(result.body, #"{"model":"gemini-2.5-pro","project":"proj-1","request":"# + Self.openAIAsGemini + "}")
    }

    @Test func openAIDefaultsForAnthropicAndReasoningBudget() throws {
        let body = #"{"model":"x","messages":[{"role":"user","content":"hi"}],"reasoning_effort":"high"}"#
        let result = try #require(translate(body, from: .openAI, to: .anthropic, parameters("claude-sonnet-4-5")))
        // No client limit: the documented default; thinking needs more than its budget.
        expectJSON(result.body, """
        {"model":"claude-sonnet-4-5","max_tokens":32768,"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}],
         "thinking":{"type":"enabled","budget_tokens":24576}}
        """)
        let plain = try #require(translate(#"{"model":"x","messages":[{"role":"user","content":"hi"}]}"#,
                                           from: .openAI, to: .anthropic, parameters("claude-3-haiku-20240307")))
        #expect(json(plain.body)["max_tokens"] == .number("4096"))
        let configured = try #require(translate(#"{"model":"x","messages":[{"role":"user","content":"hi"}]}"#,
                                                from: .openAI, to: .anthropic, parameters("claude-opus-4-1"),
                                                options: TranslationOptions(anthropicDefaultMaxTokens: 2000)))
        #expect(json(configured.body)["max_tokens"] == .number("2000"))
    }

    @Test func geminiMaxOutputTokensExceedsTheThinkingBudget() throws {
        let body = #"{"model":"x","messages":[{"role":"user","content":"hi"}],"max_tokens":1000,"reasoning_effort":"medium"}"#
        let result = try #require(translate(body, from: .openAI, to: .gemini, parameters("gemini-2.5-flash")))
        expectJSON(result.body, """
        {"generationConfig":{"maxOutputTokens":16384,"thinkingConfig":{"includeThoughts":true,"thinkingBudget":8192}},
         "contents":[{"role":"user","parts":[{"text":"hi"}]}]}
        """)
    }

    @Test func openAIJSONModes() throws {
        let schema = #"{"type":"object","properties":{"n":{"type":"integer","minimum":1}},"required":["n"],"additionalProperties":false}"#
        let body = #"{"model":"x","messages":[{"role":"user","content":"n?"}],"response_format":{"type":"json_schema","json_schema":{"name":"answer","schema":"# + schema + #","strict":true}}}"#
        let gemini = try #require(translate(body, from: .openAI, to: .gemini, parameters("gemini-2.5-flash")))
        expectJSON(gemini.body, """
        {"generationConfig":{"responseMimeType":"application/json",
           "responseSchema":{"type":"object","properties":{"n":{"type":"integer","description":"(minimum: 1)"}},"required":["n"]}},
         "contents":[{"role":"user","parts":[{"text":"n?"}]}]}
        """)
        let jsonObject = #"{"model":"x","messages":[{"role":"user","content":"n?"}],"response_format":{"type":"json_object"}}"#
        let geminiObject = try #require(translate(jsonObject, from: .openAI, to: .gemini, parameters("gemini-2.5-flash")))
        #expect(json(geminiObject.body)["generationConfig"] == json(#"{"responseMimeType":"application/json"}"#))
        // Anthropic has no JSON mode: 400 naming the field.
        let error = try #require(translationError(jsonObject, from: .openAI, to: .anthropic, parameters("claude-sonnet-4-5")))
        #expect(error.field == "response_format")
        #expect(error.httpStatus == 400)
        // A text format is a no-op everywhere.
        let textFormat = #"{"model":"x","messages":[{"role":"user","content":"n?"}],"response_format":{"type":"text"}}"#
        #expect(translate(textFormat, from: .openAI, to: .anthropic, parameters("claude-sonnet-4-5")) != nil)
    }

    // MARK: Anthropic client

    @Test func anthropicToOpenAI() throws {
        let result = try #require(translate(Fixtures.anthropicRequest, from: .anthropic, to: .openAI, parameters("gpt-5")))
        #expect(!result.upstreamStreams)
        expectJSON(result.body, """
        {"model":"gpt-5","messages":[
          {"role":"system","content":"You are helpful."},{"role":"system","content":"Answer briefly."},
          {"role":"user","content":"Show me main.swift"},
          {"role":"assistant","content":"Reading it.","tool_calls":[{"id":"toolu_01A","type":"function","function":{"name":"read_file","arguments":"{\\"path\\":\\"main.swift\\"}"}}]},
          {"role":"tool","tool_call_id":"toolu_01A","content":"print(1)"},
          {"role":"user","content":"Explain it."}],
         "max_completion_tokens":16000,"temperature":1,
         "tools":[{"type":"function","function":{"name":"read_file","description":"Read a file","parameters":\(Fixtures.anthropicReadFileSchema)}}],
         "tool_choice":"required","reasoning_effort":"medium","user":"u-9"}
        """)
    }

    @Test func anthropicToGemini() throws {
        let result = try #require(translate(Fixtures.anthropicRequest, from: .anthropic, to: .gemini, parameters("gemini-2.5-pro")))
        expectJSON(result.body, """
        {"systemInstruction":{"role":"user","parts":[{"text":"You are helpful."},{"text":"Answer briefly."}]},
         "tools":[{"functionDeclarations":[{"name":"read_file","description":"Read a file",
            "parameters":{"type":"object","properties":{"path":{"type":"string","description":"(minLength: 1)"},
                                                        "encoding":{"type":"string","nullable":true,"description":"(default: utf-8)"}},
                          "required":["path"]}}]}],
         "toolConfig":{"functionCallingConfig":{"mode":"ANY"}},
         "generationConfig":{"temperature":1,"maxOutputTokens":16000,"thinkingConfig":{"includeThoughts":true,"thinkingBudget":10000}},
         "contents":[
          {"role":"user","parts":[{"text":"Show me main.swift"}]},
          {"role":"model","parts":[{"thought":true,"text":"I should read the file.","thoughtSignature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"},
                                   {"text":"Reading it."},
                                   {"functionCall":{"id":"toolu_01A","name":"read_file","args":{"path":"main.swift"}},"thoughtSignature":"skip_thought_signature_validator"}]},
          {"role":"user","parts":[{"functionResponse":{"id":"toolu_01A","name":"read_file","response":{"result":"print(1)"}}},{"text":"Explain it."}]}]}
        """)
    }

    @Test func noSignaturePlaceholderForClaudeOnCodeAssist() throws {
        let result = try #require(translate(Fixtures.anthropicRequest, from: .anthropic, to: .geminiCodeAssist,
                                            parameters("claude-sonnet-4-6", project: "p")))
        #expect(!text(result.body).contains("skip_thought_signature_validator"))
        #expect(json(result.body)["model"] == .string("claude-sonnet-4-6"))
    }

    @Test func anthropicSignatureCarrierBlocksAttachToTheNextBlock() throws {
        let body = #"""
        {"model":"c","max_tokens":100,"messages":[
          {"role":"user","content":"go"},
          {"role":"assistant","content":[
            {"type":"thinking","thinking":"plan","signature":"SIG_A"},
            {"type":"thinking","thinking":"","signature":"SIG_B"},
            {"type":"tool_use","id":"t1","name":"run","input":{}},
            {"type":"thinking","thinking":"","signature":"SIG_C"}]},
          {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"ok"}]}]}
        """#
        let result = try #require(translate(body, from: .anthropic, to: .gemini, parameters("gemini-3-pro")))
        expectJSON(result.body, """
        {"generationConfig":{"maxOutputTokens":100},
         "contents":[{"role":"user","parts":[{"text":"go"}]},
          {"role":"model","parts":[{"thought":true,"text":"plan","thoughtSignature":"SIG_A"},
                                   {"functionCall":{"id":"t1","name":"run","args":{}},"thoughtSignature":"SIG_B"},
                                   {"text":"","thoughtSignature":"SIG_C"}]},
          {"role":"user","parts":[{"functionResponse":{"id":"t1","name":"run","response":{"result":"ok"}}}]}]}
        """)
    }

    // MARK: Gemini client

    private var geminiCallIDs: (String, String) {
        (ToolCallID.generated(seed: "contents[1]", ordinal: 1, name: "get_weather"),
         ToolCallID.generated(seed: "contents[1]", ordinal: 2, name: "get_weather"))
    }

    @Test func geminiToAnthropic() throws {
        let result = try #require(translate(Fixtures.geminiRequest, from: .gemini, to: .anthropic,
                                            parameters("claude-sonnet-4-5", stream: true)))
        #expect(result.upstreamStreams)
        let (id1, id2) = geminiCallIDs
        expectJSON(result.body, """
        {"model":"claude-sonnet-4-5","max_tokens":12288,"system":"You are a weather bot.",
         "messages":[
          {"role":"user","content":[{"type":"text","text":"Weather in Paris and Rome?"}]},
          {"role":"assistant","content":[{"type":"thinking","thinking":"Let me think.","signature":"c2lnLXRob3VnaHQ="},
             {"type":"tool_use","id":"\(id1)","name":"get_weather","input":{"city":"Paris"}},
             {"type":"tool_use","id":"\(id2)","name":"get_weather","input":{"city":"Rome"}}]},
          {"role":"user","content":[{"type":"tool_result","tool_use_id":"\(id1)","content":"sunny"},
                                    {"type":"tool_result","tool_use_id":"\(id2)","content":"{\\"temp\\":18}"}]},
          {"role":"assistant","content":[{"type":"text","text":"Paris is sunny; Rome is 18 °C."}]},
          {"role":"user","content":[{"type":"text","text":"And this picture?"},
                                    {"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"/9j/4AAQ"}}]}],
         "tools":[{"name":"get_weather","description":"Weather for a city",
                   "input_schema":{"type":"object","properties":{"city":{"type":["string","null"]}},"required":["city"]}}],
         "tool_choice":{"type":"tool","name":"get_weather"},
         "temperature":0.2,"top_k":40,"stop_sequences":["STOP"],"stream":true,
         "thinking":{"type":"enabled","budget_tokens":4096}}
        """)
    }

    @Test func geminiToOpenAI() throws {
        let body = Fixtures.geminiRequest.replacing(#""topK": 40, "#, with: "")
        let result = try #require(translate(body, from: .gemini, to: .openAI, parameters("gpt-4o", stream: false)))
        #expect(!result.upstreamStreams)
        let (id1, id2) = geminiCallIDs
        expectJSON(result.body, """
        {"model":"gpt-4o","messages":[
          {"role":"system","content":"You are a weather bot."},
          {"role":"user","content":"Weather in Paris and Rome?"},
          {"role":"assistant","content":null,"tool_calls":[
             {"id":"\(id1)","type":"function","function":{"name":"get_weather","arguments":"{\\"city\\":\\"Paris\\"}"}},
             {"id":"\(id2)","type":"function","function":{"name":"get_weather","arguments":"{\\"city\\":\\"Rome\\"}"}}]},
          {"role":"tool","tool_call_id":"\(id1)","content":"sunny"},
          {"role":"tool","tool_call_id":"\(id2)","content":"{\\"temp\\":18}"},
          {"role":"assistant","content":"Paris is sunny; Rome is 18 °C."},
          {"role":"user","content":[{"type":"text","text":"And this picture?"},{"type":"image_url","image_url":{"url":"data:image/jpeg;base64,/9j/4AAQ"}}]}],
         "max_completion_tokens":2048,"temperature":0.2,"stop":["STOP"],
         "tools":[{"type":"function","function":{"name":"get_weather","description":"Weather for a city",
                   "parameters":{"type":"object","properties":{"city":{"type":["string","null"]}},"required":["city"]}}}],
         "tool_choice":{"type":"function","function":{"name":"get_weather"}},"reasoning_effort":"medium"}
        """)
        #expect(id1.hasPrefix("call_") && id1.utf8.count == 21 && id1 != id2)
    }

    @Test func geminiClientToCodeAssistIsOnlyWrapped() throws {
        let result = try #require(translate(Fixtures.geminiRequest, from: .gemini, to: .geminiCodeAssist,
                                            parameters("gemini-2.5-pro", stream: true, project: "proj-9")))
        #expect(result.upstreamStreams)
        expectJSON(result.body, #"{"model":"gemini-2.5-pro","project":"proj-9","request":"# + Fixtures.geminiRequest + "}")
        let count = try #require(translate(#"{"generateContentRequest":{"model":"models/gemini-2.5-pro","contents":[{"role":"user","parts":[{"text":"hi"}]}]}}"#,
                                           from: .gemini, to: .geminiCodeAssist,
                                           parameters("gemini-2.5-pro", kind: .countTokens, project: "proj-9")))
        expectJSON(count.body, #"{"request":{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}}"#)
    }

    @Test func countTokensRequests() throws {
        let body = #"{"model":"claude-sonnet-4-5","system":"Be brief.","messages":[{"role":"user","content":"Hello"}]}"#
        let codeAssist = try #require(translate(body, from: .anthropic, to: .geminiCodeAssist,
                                                parameters("gemini-2.5-pro", kind: .countTokens, project: "p")))
        expectJSON(codeAssist.body, """
        {"request":{"systemInstruction":{"role":"user","parts":[{"text":"Be brief."}]},"contents":[{"role":"user","parts":[{"text":"Hello"}]}]}}
        """)
        let gemini = try #require(translate(body, from: .anthropic, to: .gemini, parameters("gemini-2.5-pro", kind: .countTokens)))
        expectJSON(gemini.body, """
        {"generateContentRequest":{"model":"models/gemini-2.5-pro","systemInstruction":{"role":"user","parts":[{"text":"Be brief."}]},
         "contents":[{"role":"user","parts":[{"text":"Hello"}]}]}}
        """)
        let anthropic = try #require(translate(#"{"contents":[{"role":"user","parts":[{"text":"Hello"}]}]}"#, from: .gemini,
                                               to: .anthropic, parameters("claude-sonnet-4-5", kind: .countTokens)))
        expectJSON(anthropic.body, #"{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":[{"type":"text","text":"Hello"}]}]}"#)
        let error = try #require(translationError(body, from: .anthropic, to: .openAI, parameters("gpt-4o", kind: .countTokens)))
        #expect(error.httpStatus == 400)
    }

    @Test func turnsLeftEmptyByTheTargetAreDroppedAndTheirNeighboursMerged() throws {
        // Unsigned reasoning has no place upstream; the assistant turn holding only that disappears.
        let body = #"{"model":"m","messages":[{"role":"user","content":"a"},{"role":"assistant","content":null,"reasoning_content":"hmm"},{"role":"user","content":"b"}]}"#
        let gemini = try #require(translate(body, from: .openAI, to: .gemini, parameters("gemini-2.5-pro")))
        expectJSON(gemini.body, #"{"contents":[{"role":"user","parts":[{"text":"a"},{"text":"b"}]}]}"#)
        let anthropic = try #require(translate(body, from: .openAI, to: .anthropic, parameters("claude-sonnet-4-5")))
        #expect(json(anthropic.body)["messages"] == json(#"[{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}]"#))
        let fromAnthropic = #"{"model":"c","max_tokens":5,"messages":[{"role":"user","content":"a"},{"role":"assistant","content":[{"type":"redacted_thinking","data":"EmwKAhgBEgy"}]},{"role":"user","content":"b"}]}"#
        let openAI = try #require(translate(fromAnthropic, from: .anthropic, to: .openAI, parameters("gpt-4o")))
        #expect(json(openAI.body)["messages"] == json(#"[{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}]"#))
    }

    @Test func sameProtocolIsPassedThrough() throws {
        let body = #"{"model":"gpt-4o","n":3,"messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}}"#
        let translator = Translator(client: .openAI, upstream: .openAI)
        #expect(translator.isPassThrough)
        let result = try translator.translateRequest(Array(body.utf8), parameters("gpt-4o"))
        #expect(result.body == Array(body.utf8))
        #expect(result.upstreamStreams)
    }
}
