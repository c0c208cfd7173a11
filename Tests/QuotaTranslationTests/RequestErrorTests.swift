import Testing

@testable import QuotaTranslation

/// Bad or untranslatable requests give a typed error naming the field (the proxy answers 400).
@Suite struct RequestErrorTests {
    private func expectError(_ body: String, from client: ClientDialect = .openAI, to upstream: UpstreamDialect,
                             field: String?, kind: TranslationError.Kind, containing words: String? = nil,
                             sourceLocation: SourceLocation = #_sourceLocation) {
        guard let error = translationError(body, from: client, to: upstream, parameters("m"), sourceLocation: sourceLocation)
        else { return }
        #expect(error.kind == kind, "\(error.message)", sourceLocation: sourceLocation)
        #expect(error.field == field, "\(error.message)", sourceLocation: sourceLocation)
        #expect(error.httpStatus == 400, sourceLocation: sourceLocation)
        if let field { #expect(error.message.contains(field), sourceLocation: sourceLocation) }
        if let words { #expect(error.message.contains(words), "\(error.message)", sourceLocation: sourceLocation) }
    }

    @Test func remoteImageForGeminiIsRefused() {
        let body = #"{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"see"},{"type":"image_url","image_url":{"url":"https://example.com/cat.png"}}]}]}"#
        expectError(body, to: .gemini, field: "messages[0].content[1].image_url.url", kind: .unsupportedField,
                    containing: "does not fetch")
        expectError(body, to: .geminiCodeAssist, field: "messages[0].content[1].image_url.url", kind: .unsupportedField)
        // Anthropic takes URLs itself.
        let anthropic = translate(body, from: .openAI, to: .anthropic, parameters("m"))
        #expect(anthropic.map { text($0.body).contains(#""source":{"type":"url","url":"https://example.com/cat.png"}"#) } == true)
    }

    @Test func remoteAnthropicImageForGeminiIsRefused() {
        let body = #"{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"url","url":"https://x/y.jpg"}}]}]}"#
        expectError(body, from: .anthropic, to: .gemini, field: "messages[0].content[0].source.url", kind: .unsupportedField)
    }

    @Test func malformedBodies() {
        expectError("{not json", to: .anthropic, field: nil, kind: .invalidRequest, containing: "not valid JSON")
        expectError("[1]", to: .anthropic, field: "request body", kind: .invalidRequest)
        expectError(#"{"model":"m"}"#, to: .anthropic, field: "messages", kind: .invalidRequest, containing: "required")
        expectError(#"{"model":"m","messages":{}}"#, to: .anthropic, field: "messages", kind: .invalidRequest, containing: "an array")
        expectError(#"{"model":"m","messages":[{"role":"robot","content":"x"}]}"#, to: .anthropic, field: "messages[0].role",
                    kind: .invalidRequest)
        expectError(#"{"model":"m","messages":[],"temperature":"hot"}"#, to: .gemini, field: "temperature", kind: .invalidRequest)
        expectError(#"{"model":"m","messages":[],"max_tokens":1.5}"#, to: .gemini, field: "max_tokens", kind: .invalidRequest)
        expectError(#"{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"ftp://x"}}]}]}"#,
                    to: .anthropic, field: "messages[0].content[0].image_url.url", kind: .invalidRequest)
        expectError(#"{"model":"m","messages":[{"role":"assistant","tool_calls":[{"type":"function","function":{"name":"f"}}]}]}"#,
                    to: .anthropic, field: "messages[0].tool_calls[0].id", kind: .invalidRequest)
        expectError(#"{"contents":[{"role":"model","parts":[{"functionCall":{"args":{}}}]}]}"#, from: .gemini, to: .openAI,
                    field: "contents[0].parts[0].functionCall.name", kind: .invalidRequest)
        expectError(#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"text"}]}]}"#, from: .anthropic,
                    to: .openAI, field: "messages[0].content[0].text", kind: .invalidRequest)
        expectError(#"{"model":"m","max_tokens":1,"thinking":{"type":"enabled"},"messages":[]}"#, from: .anthropic,
                    to: .openAI, field: "thinking.budget_tokens", kind: .invalidRequest)
    }

    @Test func fieldsWithoutCounterpart() {
        let base = #""model":"m","messages":[{"role":"user","content":"x"}]"#
        expectError("{\(base),\"n\":2}", to: .gemini, field: "n", kind: .unsupportedField)
        expectError("{\(base),\"logprobs\":true}", to: .anthropic, field: "logprobs", kind: .unsupportedField)
        expectError("{\(base),\"logit_bias\":{\"50256\":-100}}", to: .anthropic, field: "logit_bias", kind: .unsupportedField)
        expectError("{\(base),\"audio\":{\"voice\":\"alloy\"}}", to: .anthropic, field: "audio", kind: .unsupportedField)
        expectError("{\(base),\"modalities\":[\"text\",\"audio\"]}", to: .gemini, field: "modalities", kind: .unsupportedField)
        expectError("{\(base),\"functions\":[]}", to: .anthropic, field: "functions", kind: .unsupportedField)
        expectError("{\(base),\"frobnicate\":1}", to: .anthropic, field: "frobnicate", kind: .unsupportedField,
                    containing: "no counterpart in Anthropic Messages")
        expectError("{\(base),\"tools\":[{\"type\":\"custom\",\"custom\":{\"name\":\"x\"}}]}", to: .gemini, field: "tools[0].type",
                    kind: .unsupportedField)
        expectError("{\(base),\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"a\"}},{\"type\":\"function\",\"function\":{\"name\":\"b\"}}],\"tool_choice\":{\"type\":\"allowed_tools\",\"allowed_tools\":{\"mode\":\"required\",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"a\"}},{\"type\":\"function\",\"function\":{\"name\":\"b\"}}]}}}",
                    to: .anthropic, field: "tool_choice", kind: .unsupportedField)
        expectError("{\(base),\"tool_choice\":\"required\"}", to: .gemini, field: "tool_choice", kind: .invalidRequest,
                    containing: "declares no tools")
        expectError(#"{"model":"m","max_tokens":1,"top_k":5,"messages":[]}"#, from: .anthropic, to: .openAI, field: "top_k",
                    kind: .unsupportedField)
        expectError(#"{"contents":[],"generationConfig":{"topK":5}}"#, from: .gemini, to: .openAI,
                    field: "generationConfig.topK", kind: .unsupportedField)
        expectError(#"{"model":"m","max_tokens":1,"messages":[],"tools":[{"type":"web_search_20250305","name":"web_search"}]}"#,
                    from: .anthropic, to: .gemini, field: "tools[0].type", kind: .unsupportedField)
        expectError(#"{"model":"m","max_tokens":1,"messages":[],"mcp_servers":[]}"#, from: .anthropic, to: .openAI,
                    field: "mcp_servers", kind: .unsupportedField)
        expectError(#"{"contents":[],"tools":[{"googleSearch":{}}]}"#, from: .gemini, to: .anthropic,
                    field: "tools[0].googleSearch", kind: .unsupportedField)
        expectError(#"{"contents":[],"generationConfig":{"candidateCount":2}}"#, from: .gemini, to: .anthropic,
                    field: "generationConfig.candidateCount", kind: .unsupportedField)
        expectError(#"{"contents":[],"generationConfig":{"responseMimeType":"application/json"}}"#, from: .gemini,
                    to: .anthropic, field: "generationConfig.responseMimeType", kind: .unsupportedField)
        expectError(#"{"contents":[],"cachedContent":"cachedContents/1"}"#, from: .gemini, to: .openAI,
                    field: "cachedContent", kind: .unsupportedField)
        expectError(#"{"model":"m","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AA==","format":"wav"}}]}]}"#,
                    to: .anthropic, field: "messages[0].content[0].input_audio", kind: .unsupportedField)
    }

    @Test func toolResultWithoutItsCallCannotGoToGemini() {
        let body = #"{"model":"m","messages":[{"role":"tool","tool_call_id":"call_x","content":"42"}]}"#
        expectError(body, to: .gemini, field: "messages[0].tool_call_id", kind: .invalidRequest, containing: "function's name")
        // With a name the client gave, it can.
        let named = #"{"model":"m","messages":[{"role":"tool","tool_call_id":"call_x","name":"calc","content":"42"}]}"#
        #expect(translate(named, from: .openAI, to: .gemini, parameters("m")) != nil)
    }

    @Test func documentedNoOpsAreAccepted() throws {
        let body = #"""
        {"model":"m","messages":[{"role":"user","content":"x","name":"bob"}],"store":true,"metadata":{"a":"b"},
         "service_tier":"auto","prediction":{"type":"content","content":"x"},"logit_bias":{},"logprobs":false,
         "safety_identifier":"s","prompt_cache_key":"k","verbosity":"low","seed":1,"presence_penalty":0.1,
         "stream_options":{"include_obfuscation":false},"modalities":["text"],"n":1}
        """#
        let anthropic = try #require(translate(body, from: .openAI, to: .anthropic, parameters("m")))
        expectJSON(anthropic.body, #"{"model":"m","max_tokens":8192,"messages":[{"role":"user","content":[{"type":"text","text":"x"}]}]}"#)
        let gemini = try #require(translate(body, from: .openAI, to: .gemini, parameters("m")))
        expectJSON(gemini.body, #"{"generationConfig":{"seed":1,"presencePenalty":0.1},"contents":[{"role":"user","parts":[{"text":"x"}]}]}"#)
    }

    @Test func errorBodiesNameTheFieldInTheClientsDialect() throws {
        let error = try #require(translationError(#"{"model":"m","messages":[],"n":3}"#, from: .openAI, to: .anthropic, parameters("m")))
        expectJSON(error.body(for: .openAI), """
        {"error":{"message":"\(error.message)","type":"invalid_request_error","param":"n","code":"unsupported_field"}}
        """)
        expectJSON(error.body(for: .anthropic), """
        {"type":"error","error":{"type":"invalid_request_error","message":"\(error.message)"}}
        """)
        expectJSON(error.body(for: .gemini), """
        {"error":{"code":400,"message":"\(error.message)","status":"INVALID_ARGUMENT"}}
        """)
    }
}
