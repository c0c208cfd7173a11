import Testing

@testable import QuotaTranslation

/// Property-style round trips: a conversation translated to another dialect and back is the same
/// conversation; reasoning signatures survive the client/upstream loop.
@Suite struct RoundTripTests {
    /// A small deterministic generator (SplitMix64).
    struct Generator {
        var state: UInt64

        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }

        mutating func int(_ range: ClosedRange<Int>) -> Int {
            range.lowerBound + Int(next() % UInt64(range.count))
        }

        mutating func bool() -> Bool { next() & 1 == 1 }

        mutating func word() -> String {
            ["alpha", "beta", "été", "\"quoted\"", "line\nbreak", "tab\there", "emoji 🎉", "back\\slash", "42", "{x}"][int(0...9)]
        }

        mutating func sentence() -> String {
            (0..<int(1...6)).map { _ in word() }.joined(separator: " ")
        }

        mutating func argumentsJSON(depth: Int = 0) -> String {
            let count = int(0...3)
            let members = (0..<count).map { index -> String in
                let value: String
                switch int(0...(depth < 2 ? 5 : 3)) {
                case 0: value = "\(int(-1000...1000))"
                case 1: value = ["1.50", "-0.25", "3e2", "1.0"][int(0...3)]
                case 2: value = bool() ? "true" : "null"
                case 3: value = JSON.string(sentence()).serialized
                case 4: value = argumentsJSON(depth: depth + 1)
                default: value = "[" + (0..<int(0...2)).map { _ in "\(int(0...9))" }.joined(separator: ",") + "]"
                }
                return "\"k\(index)\":" + value
            }
            return "{" + members.joined(separator: ",") + "}"
        }
    }

    /// A random but valid OpenAI conversation: system prompts, user text and images, assistant
    /// text and parallel tool calls, a tool message for every call.
    static func conversation(seed: UInt64) -> String {
        var random = Generator(state: seed)
        var messages: [String] = []
        for _ in 0..<random.int(0...2) {
            messages.append(#"{"role":"system","content":\#(JSON.string(random.sentence()).serialized)}"#)
        }
        let tools = ["lookup", "compute", "fetch_page"]
        var callCounter = 0
        for turn in 0..<random.int(1...5) {
            var parts = [#"{"type":"text","text":\#(JSON.string(random.sentence()).serialized)}"#]
            if random.int(0...3) == 0 {
                parts.append(#"{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo\#(turn)="}}"#)
            }
            messages.append(#"{"role":"user","content":[\#(parts.joined(separator: ","))]}"#)
            let callCount = random.int(0...2)
            var assistant = #"{"role":"assistant""#
            let hasText = callCount == 0 || random.bool()
            assistant += hasText ? #","content":\#(JSON.string(random.sentence()).serialized)"# : #","content":null"#
            var calls: [(String, String)] = []
            if callCount > 0 {
                var entries: [String] = []
                for _ in 0..<callCount {
                    callCounter += 1
                    let id = "call_\(seed)_\(callCounter)"
                    let name = tools[random.int(0...2)]
                    calls.append((id, name))
                    let arguments = JSON.string(random.argumentsJSON()).serialized
                    entries.append(#"{"id":"\#(id)","type":"function","function":{"name":"\#(name)","arguments":\#(arguments)}}"#)
                }
                assistant += #","tool_calls":[\#(entries.joined(separator: ","))]"#
            }
            messages.append(assistant + "}")
            for (id, _) in calls {
                let result = random.bool() ? JSON.string(random.sentence()).serialized : JSON.string(#"{"ok":true,"n":\#(random.int(0...99))}"#).serialized
                messages.append(#"{"role":"tool","tool_call_id":"\#(id)","content":\#(result)}"#)
            }
        }
        let toolDefinitions = tools.map { name in
            #"{"type":"function","function":{"name":"\#(name)","description":"Tool \#(name)","parameters":{"type":"object","properties":{"q":{"type":"string","description":"query"},"n":{"type":"integer"}},"required":["q"]}}}"#
        }
        return #"{"model":"m","messages":[\#(messages.joined(separator: ","))],"tools":[\#(toolDefinitions.joined(separator: ","))]}"#
    }

    /// The conversation part of a request as the translator reads it, without error-message paths.
    static func conversation(_ body: [UInt8], as dialect: ClientDialect) throws -> ChatRequest {
        let root = try JSONParser.parse(body)
        var request: ChatRequest
        switch dialect {
        case .openAI: request = try OpenAIRequestDecoder(target: .gemini).decode(root)
        case .anthropic: request = try AnthropicRequestDecoder(target: .gemini).decode(root)
        case .gemini: request = try GeminiRequestDecoder(target: .openAI).decode(root, stream: false)
        }
        var normalized = ChatRequest()
        normalized.system = request.system
        normalized.tools = request.tools
        normalized.messages = request.messages.map { message in
            ChatMessage(role: message.role, parts: message.parts.map(stripPaths))
        }
        return normalized
    }

    private static func stripPaths(_ part: ContentPart) -> ContentPart {
        switch part {
        case .media(var media):
            media.field = ""
            return .media(media)
        case .toolResult(var result):
            result.field = ""
            result.content = result.content.map(stripPaths)
            return .toolResult(result)
        default:
            return part
        }
    }

    private static func upstream(_ dialect: ClientDialect) -> UpstreamDialect {
        switch dialect {
        case .openAI: .openAI
        case .anthropic: .anthropic
        case .gemini: .gemini
        }
    }

    private static func translated(_ body: [UInt8], from client: ClientDialect, to target: ClientDialect) throws -> [UInt8] {
        try Translator(client: client, upstream: upstream(target))
            .translateRequest(body, parameters(target == .anthropic ? "claude-sonnet-4-5" : "m")).body
    }

    @Test(arguments: [ClientDialect.openAI, .anthropic, .gemini])
    func conversationsSurviveARoundTrip(through source: ClientDialect) throws {
        for seed in UInt64(1)...60 {
            var body = Array(Self.conversation(seed: seed).utf8)
            if source != .openAI { body = try Self.translated(body, from: .openAI, to: source) }
            let original = try Self.conversation(body, as: source)
            for other in ClientDialect.allCases where other != source {
                let there = try Self.translated(body, from: source, to: other)
                let back = try Self.translated(there, from: other, to: source)
                let result = try Self.conversation(back, as: source)
                if result != original {
                    Issue.record("seed \(seed): \(source) → \(other) → \(source) changed the conversation\n\(text(body))\n\(text(back))")
                    return
                }
            }
        }
    }

    // MARK: Reasoning across the client/upstream loop

    /// The history a client sends back after an answer: the assistant turn it received, then the tool result.
    @Test func geminiSignaturesSurviveAnAnthropicClient() throws {
        let exchange = try #require(translate(#"{"model":"c","max_tokens":10,"messages":[{"role":"user","content":"go"}]}"#,
                                              from: .anthropic, to: .geminiCodeAssist, parameters("gemini-3-pro", project: "p"))).exchange
        let answer = json(try exchange.translateAnswer(Array(Fixtures.codeAssistAnswer.utf8)))
        let blocks = try #require(answer["content"])
        let callID = try #require(blocks.arrayValue?.last?["id"]?.stringValue)
        let next = #"""
        {"model":"c","max_tokens":10,"messages":[{"role":"user","content":"go"},{"role":"assistant","content":\#(blocks.serialized)},
         {"role":"user","content":[{"type":"tool_result","tool_use_id":"\#(callID)","content":"22 C"}]}]}
        """#
        let request = try #require(translate(next, from: .anthropic, to: .geminiCodeAssist, parameters("gemini-3-pro", project: "p")))
        let modelTurn = try #require(json(request.body)["request"]?["contents"]?.arrayValue?[1])
        // The same parts Gemini sent (the signature-only thought part folded into the thought), the call with its id.
        expectJSON(Array(modelTurn.serialized.utf8), """
        {"role":"model","parts":[
          {"thought":true,"text":"The user wants weather.","thoughtSignature":"VGhvdWdodFNpZw=="},
          {"text":"Checking."},
          {"functionCall":{"id":"\(callID)","name":"get_weather","args":{"city":"Paris","days":3}},"thoughtSignature":"Q2FsbFNpZw=="}]}
        """)
    }

    @Test func geminiSignaturesSurviveAnOpenAIClient() throws {
        let exchange = try #require(translate(#"{"model":"m","messages":[{"role":"user","content":"go"}]}"#,
                                              from: .openAI, to: .geminiCodeAssist, parameters("gemini-3-pro", project: "p"))).exchange
        let answer = json(try exchange.translateAnswer(Array(Fixtures.codeAssistAnswer.utf8)))
        let message = try #require(answer["choices"]?.arrayValue?.first?["message"])
        let callID = try #require(message["tool_calls"]?.arrayValue?.first?["id"]?.stringValue)
        #expect(callID.contains("~sig~"))
        let next = #"""
        {"model":"m","messages":[{"role":"user","content":"go"},\#(message.serialized),
         {"role":"tool","tool_call_id":"\#(callID)","content":"22 C"}]}
        """#
        let request = try #require(translate(next, from: .openAI, to: .geminiCodeAssist, parameters("gemini-3-pro", project: "p")))
        let contents = try #require(json(request.body)["request"]?["contents"]?.arrayValue)
        let plainID = ToolCallID.split(callID).id
        expectJSON(Array(JSON.array(Array(contents[1...])).serialized.utf8), """
        [{"role":"model","parts":[{"text":"Checking."},
           {"functionCall":{"id":"\(plainID)","name":"get_weather","args":{"city":"Paris","days":3}},"thoughtSignature":"Q2FsbFNpZw=="}]},
         {"role":"user","parts":[{"functionResponse":{"id":"\(plainID)","name":"get_weather","response":{"result":"22 C"}}}]}]
        """)
    }

    @Test func anthropicThinkingSurvivesAnOpenAIClient() throws {
        let exchange = try #require(translate(#"{"model":"m","messages":[{"role":"user","content":"go"}]}"#,
                                              from: .openAI, to: .anthropic, parameters("claude-sonnet-4-5"))).exchange
        let answer = json(try exchange.translateAnswer(Array(Fixtures.anthropicAnswer.utf8)))
        let message = try #require(answer["choices"]?.arrayValue?.first?["message"])
        let callID = try #require(message["tool_calls"]?.arrayValue?.first?["id"]?.stringValue)
        let next = #"""
        {"model":"m","messages":[{"role":"user","content":"go"},\#(message.serialized),
         {"role":"tool","tool_call_id":"\#(callID)","content":"file text"}],"reasoning_effort":"low"}
        """#
        let request = try #require(translate(next, from: .openAI, to: .anthropic, parameters("claude-sonnet-4-5")))
        let messages = try #require(json(request.body)["messages"]?.arrayValue)
        expectJSON(Array(JSON.array(Array(messages[1...])).serialized.utf8), """
        [{"role":"assistant","content":[{"type":"thinking","thinking":"Need the file.","signature":"EuYBCkQYAiJA"},
                                        {"type":"text","text":"Let me read it."},
                                        {"type":"tool_use","id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","name":"read_file","input":{"path":"a.txt"}}]},
         {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","content":"file text"}]}]
        """)
    }

    /// Gemini stream → Anthropic client stream → (as an Anthropic upstream) folded for a Gemini client:
    /// the same parts as the Gemini stream folded directly.
    @Test func geminiStreamThroughAnthropicAndBack() throws {
        let toAnthropic = try StreamTranslationTests.exchange(.anthropic, .geminiCodeAssist)
        let anthropicStream = translateStream(toAnthropic, Array(Fixtures.codeAssistStream.utf8))
        let back = translateStream(try StreamTranslationTests.exchange(.gemini, .anthropic, stream: false, streamUpstream: true),
                                   anthropicStream)
        let direct = translateStream(try StreamTranslationTests.exchange(.gemini, .geminiCodeAssist, stream: false, streamUpstream: true),
                                     Array(Fixtures.codeAssistStream.utf8))
        let backParts = json(back)["candidates"]?.arrayValue?.first?["content"]?["parts"]
        let directParts = json(direct)["candidates"]?.arrayValue?.first?["content"]?["parts"]
        #expect(backParts != nil)
        expectJSON(Array((backParts ?? .null).serialized.utf8), (directParts ?? .null).serialized)
    }
}
