/// Request, answer and stream fixtures written after the providers' public API references.
enum Fixtures {
    /// An OpenAI agentic conversation: developer prompt, image, tool call and result, sampling knobs.
    static let openAIRequest = #"""
    {
      "model": "gpt-4o",
      "messages": [
        {"role": "developer", "content": "You are a coding assistant."},
        {"role": "user", "content": [
          {"type": "text", "text": "What is in this image, and what's the weather in Paris?"},
          {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "high"}}
        ]},
        {"role": "assistant", "content": null, "tool_calls": [
          {"id": "call_abc", "type": "function",
           "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\",\"unit\":\"c\"}"}}
        ]},
        {"role": "tool", "tool_call_id": "call_abc", "content": "{\"temp\":21.5}"},
        {"role": "assistant", "content": "It is 21.5 °C in Paris."},
        {"role": "user", "content": "Thanks!"}
      ],
      "tools": [{"type": "function", "function": {
        "name": "get_weather", "description": "Current weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}},
                       "required": ["city"], "additionalProperties": false},
        "strict": true}}],
      "tool_choice": "auto",
      "parallel_tool_calls": false,
      "max_completion_tokens": 1024,
      "temperature": 0.7,
      "top_p": 0.9,
      "stop": ["\n\nEND"],
      "stream": true,
      "stream_options": {"include_usage": true},
      "user": "user-123",
      "seed": 42
    }
    """#

    static let openAIWeatherSchema = #"{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["c","f"]}},"required":["city"],"additionalProperties":false}"#

    /// An Anthropic conversation with extended thinking, a signed thinking block, a tool round trip
    /// and a schema Gemini needs cleaned.
    static let anthropicRequest = #"""
    {
      "model": "claude-sonnet-4-5",
      "max_tokens": 16000,
      "system": [{"type": "text", "text": "You are helpful.", "cache_control": {"type": "ephemeral"}},
                 {"type": "text", "text": "Answer briefly."}],
      "thinking": {"type": "enabled", "budget_tokens": 10000},
      "tools": [{"name": "read_file", "description": "Read a file",
                 "input_schema": {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
                                  "properties": {"path": {"type": "string", "minLength": 1},
                                                 "encoding": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": "utf-8"}},
                                  "required": ["path"], "additionalProperties": false},
                 "cache_control": {"type": "ephemeral"}}],
      "tool_choice": {"type": "any"},
      "messages": [
        {"role": "user", "content": "Show me main.swift"},
        {"role": "assistant", "content": [
          {"type": "thinking", "thinking": "I should read the file.", "signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"},
          {"type": "text", "text": "Reading it."},
          {"type": "tool_use", "id": "toolu_01A", "name": "read_file", "input": {"path": "main.swift"}}
        ]},
        {"role": "user", "content": [
          {"type": "tool_result", "tool_use_id": "toolu_01A", "content": [{"type": "text", "text": "print(1)"}]},
          {"type": "text", "text": "Explain it."}
        ]}
      ],
      "stream": false,
      "temperature": 1,
      "metadata": {"user_id": "u-9"}
    }
    """#

    static let anthropicReadFileSchema = #"{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{"path":{"type":"string","minLength":1},"encoding":{"anyOf":[{"type":"string"},{"type":"null"}],"default":"utf-8"}},"required":["path"],"additionalProperties":false}"#

    /// A Gemini conversation: thought signature, parallel id-less calls and their responses,
    /// snake_case inline data, OpenAPI-style schema.
    static let geminiRequest = #"""
    {
      "systemInstruction": {"parts": [{"text": "You are a weather bot."}]},
      "contents": [
        {"role": "user", "parts": [{"text": "Weather in Paris and Rome?"}]},
        {"role": "model", "parts": [
          {"text": "Let me think.", "thought": true, "thoughtSignature": "c2lnLXRob3VnaHQ="},
          {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": "c2lnLWNhbGw="},
          {"functionCall": {"name": "get_weather", "args": {"city": "Rome"}}}
        ]},
        {"role": "user", "parts": [
          {"functionResponse": {"name": "get_weather", "response": {"result": "sunny"}}},
          {"functionResponse": {"name": "get_weather", "response": {"temp": 18}}}
        ]},
        {"role": "model", "parts": [{"text": "Paris is sunny; Rome is 18 °C."}]},
        {"role": "user", "parts": [{"text": "And this picture?"}, {"inline_data": {"mime_type": "image/jpeg", "data": "/9j/4AAQ"}}]}
      ],
      "tools": [{"functionDeclarations": [{"name": "get_weather", "description": "Weather for a city",
                 "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING", "nullable": true}}, "required": ["city"]}}]}],
      "toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}},
      "generationConfig": {"temperature": 0.2, "topK": 40, "maxOutputTokens": 2048, "stopSequences": ["STOP"],
                           "responseMimeType": "text/plain", "thinkingConfig": {"includeThoughts": true, "thinkingBudget": 4096}},
      "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}]
    }
    """#
}

extension Fixtures {
    /// A Code Assist answer: a thought, a signature-only part, text, a signed id-less call.
    static let codeAssistAnswer = #"""
    {"response":{
      "candidates":[{"content":{"role":"model","parts":[
         {"text":"The user wants weather.","thought":true},
         {"text":"","thought":true,"thoughtSignature":"VGhvdWdodFNpZw=="},
         {"text":"Checking."},
         {"functionCall":{"name":"get_weather","args":{"city":"Paris","days":3}},"thoughtSignature":"Q2FsbFNpZw=="}
       ]},"finishReason":"STOP","index":0}],
      "usageMetadata":{"promptTokenCount":120,"candidatesTokenCount":30,"totalTokenCount":200,
                       "cachedContentTokenCount":100,"thoughtsTokenCount":50},
      "modelVersion":"gemini-2.5-pro","responseId":"resp-77"},
     "traceId":"t1"}
    """#

    static let anthropicAnswer = #"""
    {"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929",
     "content":[{"type":"thinking","thinking":"Need the file.","signature":"EuYBCkQYAiJA"},
                {"type":"text","text":"Let me read it."},
                {"type":"tool_use","id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","name":"read_file","input":{"path":"a.txt"}}],
     "stop_reason":"tool_use","stop_sequence":null,
     "usage":{"input_tokens":50,"cache_creation_input_tokens":10,"cache_read_input_tokens":200,"output_tokens":70}}
    """#

    static let openAIAnswer = #"""
    {"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion","created":1741570283,"model":"gpt-4o-2024-08-06",
     "choices":[{"index":0,"message":{"role":"assistant","content":null,
        "tool_calls":[{"id":"call_9pw1qnYScqvGrCH58HWCvFH6","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Boston, MA\"}"}}],
        "refusal":null},"logprobs":null,"finish_reason":"tool_calls"}],
     "usage":{"prompt_tokens":82,"completion_tokens":17,"total_tokens":99,
              "prompt_tokens_details":{"cached_tokens":64,"audio_tokens":0},
              "completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0}},
     "system_fingerprint":"fp_fc9f1d7035"}
    """#
}

extension Fixtures {
    /// A Code Assist stream (CRLF framing, as Google sends it): thoughts with a signature, text with
    /// a multi-byte character, a signed id-less call, usage on the first and last event.
    static let codeAssistStream: String = [
        #"data: {"response":{"candidates":[{"content":{"role":"model","parts":[{"text":"Planning","thought":true}]}}],"usageMetadata":{"promptTokenCount":10,"totalTokenCount":10},"modelVersion":"gemini-2.5-pro","responseId":"r1"},"traceId":"t"}"#,
        #"data: {"response":{"candidates":[{"content":{"role":"model","parts":[{"text":" the call.","thought":true,"thoughtSignature":"U0lHMQ=="}]}}],"modelVersion":"gemini-2.5-pro","responseId":"r1"}}"#,
        #"data: {"response":{"candidates":[{"content":{"role":"model","parts":[{"text":"Hello"}]}}],"modelVersion":"gemini-2.5-pro","responseId":"r1"}}"#,
        #"data: {"response":{"candidates":[{"content":{"role":"model","parts":[{"text":" wörld"}]}}],"responseId":"r1"}}"#,
        #"data: {"response":{"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"lookup","args":{"q":"x","n":1.50}},"thoughtSignature":"U0lHMg=="}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":5,"thoughtsTokenCount":3,"totalTokenCount":18},"modelVersion":"gemini-2.5-pro","responseId":"r1"}}"#,
    ].map { $0 + "\r\n\r\n" }.joined()

    /// An Anthropic stream with thinking, a signature, text, a tool call streamed in pieces, a ping.
    static let anthropicStream = #"""
    event: message_start
    data: {"type":"message_start","message":{"id":"msg_01","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":472,"cache_read_input_tokens":100,"output_tokens":2}}}

    event: content_block_start
    data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}

    event: ping
    data: {"type": "ping"}

    event: content_block_delta
    data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Let me check the weather."}}

    event: content_block_delta
    data: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM"}}

    event: content_block_stop
    data: {"type":"content_block_stop","index":0}

    event: content_block_start
    data: {"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}

    event: content_block_delta
    data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Okay, checking"}}

    event: content_block_stop
    data: {"type":"content_block_stop","index":1}

    event: content_block_start
    data: {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_01T1","name":"get_weather","input":{}}}

    event: content_block_delta
    data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":""}}

    event: content_block_delta
    data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"location\":"}}

    event: content_block_delta
    data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":" \"Paris\"}"}}

    event: content_block_stop
    data: {"type":"content_block_stop","index":2}

    event: message_delta
    data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}}

    event: message_stop
    data: {"type":"message_stop"}


    """#

    /// An OpenAI stream: text, two tool calls streamed in pieces, the usage chunk, `[DONE]`.
    static let openAIStream: String = [
        #"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]}"#,
        #"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"Hi"},"logprobs":null,"finish_reason":null}]}"#,
        #"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_A","type":"function","function":{"name":"f","arguments":""}}]},"logprobs":null,"finish_reason":null}]}"#,
        #"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"a\":"}}]},"logprobs":null,"finish_reason":null}]}"#,
        #"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"1}"}}]},"logprobs":null,"finish_reason":null}]}"#,
        #"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_B","type":"function","function":{"name":"g","arguments":"{}"}}]},"logprobs":null,"finish_reason":null}]}"#,
        #"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}]}"#,
        #"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":12,"total_tokens":21,"prompt_tokens_details":{"cached_tokens":0}}}"#,
        "[DONE]",
    ].map { "data: " + $0 + "\n\n" }.joined()
}
