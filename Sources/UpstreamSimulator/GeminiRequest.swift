import Foundation

/// A Gemini `GenerateContentRequest` (the body of `:generateContent`, or the `request` of a Code
/// Assist envelope), read for what the simulated answer depends on.
///
/// Both the camelCase and the snake_case spellings of field names are accepted, as Google's JSON
/// parser does.
struct GeminiRequest: Sendable {
    /// The top-level members.
    let members: [String: JSONValue]

    /// Top-level fields of a `GenerateContentRequest`; Google rejects any other name with 400.
    static let knownFields: Set<String> = [
        "model", "contents", "systemInstruction", "system_instruction", "tools", "toolConfig", "tool_config",
        "safetySettings", "safety_settings", "generationConfig", "generation_config", "cachedContent", "cached_content",
        "labels",
    ]

    /// Extra fields Code Assist accepts inside its `request`.
    static let codeAssistExtraFields: Set<String> = ["session_id", "sessionId"]

    /// Fields of the `request` of a Code Assist `countTokens` (it rejects `safetySettings`).
    static let countTokensFields: Set<String> = [
        "model", "contents", "systemInstruction", "system_instruction", "tools", "toolConfig", "tool_config",
        "generationConfig", "generation_config",
    ]

    /// Wraps a JSON object; `nil` for anything else.
    init?(_ value: JSONValue) {
        guard case .object(let members) = value else { return nil }
        self.members = members
    }

    private func member(_ camel: String, _ snake: String) -> JSONValue? {
        members[camel] ?? members[snake]
    }

    /// The `contents` array (empty when absent or not an array).
    var contents: [JSONValue] { members["contents"]?.arrayValue ?? [] }

    var generationConfig: JSONValue? { member("generationConfig", "generation_config") }

    /// `generationConfig.maxOutputTokens`.
    var maxOutputTokens: Int? {
        generationConfig.flatMap { $0["maxOutputTokens"] ?? $0["max_output_tokens"] }?.intValue
    }

    private var thinkingConfig: JSONValue? {
        generationConfig.flatMap { $0["thinkingConfig"] ?? $0["thinking_config"] }
    }

    /// `thinkingConfig.thinkingBudget` (`-1` = dynamic, `0` = off).
    var thinkingBudget: Int? { thinkingConfig.flatMap { $0["thinkingBudget"] ?? $0["thinking_budget"] }?.intValue }

    /// `thinkingConfig.thinkingLevel`.
    var thinkingLevel: String? { thinkingConfig.flatMap { $0["thinkingLevel"] ?? $0["thinking_level"] }?.stringValue }

    /// `thinkingConfig.includeThoughts`.
    var includeThoughts: Bool { thinkingConfig.flatMap { $0["includeThoughts"] ?? $0["include_thoughts"] }?.boolValue ?? false }

    /// Whether the request names a cached content (`cachedContent`).
    var usesCachedContent: Bool { member("cachedContent", "cached_content")?.stringValue.map { !$0.isEmpty } ?? false }

    /// The names of every declared function (`tools[].functionDeclarations[].name`), in order.
    var declaredFunctions: [String] {
        guard let tools = members["tools"]?.arrayValue else { return [] }
        return tools.flatMap { tool -> [String] in
            let declarations = (tool["functionDeclarations"] ?? tool["function_declarations"])?.arrayValue ?? []
            return declarations.compactMap { $0["name"]?.stringValue }
        }
    }

    private var functionCallingConfig: JSONValue? {
        member("toolConfig", "tool_config").flatMap { $0["functionCallingConfig"] ?? $0["function_calling_config"] }
    }

    /// `toolConfig.functionCallingConfig.mode` (`AUTO`, `ANY`, `NONE`, `VALIDATED`), upper-cased.
    var functionCallingMode: String? { functionCallingConfig?["mode"]?.stringValue?.uppercased() }

    /// `toolConfig.functionCallingConfig.allowedFunctionNames`, if set.
    var allowedFunctionNames: [String]? {
        (functionCallingConfig.flatMap { $0["allowedFunctionNames"] ?? $0["allowed_function_names"] })?.arrayValue?.compactMap(\.stringValue)
    }

    /// The functions the model may call: declared, and allowed when a list is given.
    var callableFunctions: [String] {
        guard functionCallingMode != "NONE" else { return [] }
        let declared = declaredFunctions
        guard let allowed = allowedFunctionNames, !allowed.isEmpty else { return declared }
        return declared.filter(allowed.contains)
    }

    /// The last turn of `contents`.
    var lastTurn: JSONValue? { contents.last }

    /// The text of the last turn when it is the user's (all its text parts joined).
    var lastUserText: String {
        guard let turn = lastTurn, (turn["role"]?.stringValue ?? "user") == "user" else { return "" }
        return (turn["parts"]?.arrayValue ?? []).compactMap { $0["text"]?.stringValue }.joined(separator: "\n")
    }

    /// The `functionResponse` parts of the last turn, as (name, response).
    var lastFunctionResponses: [(name: String, response: JSONValue)] {
        guard let turn = lastTurn else { return [] }
        return (turn["parts"]?.arrayValue ?? []).compactMap { part in
            guard let response = part["functionResponse"] ?? part["function_response"] else { return nil }
            return (response["name"]?.stringValue ?? "", response["response"] ?? [:])
        }
    }

    /// Estimated prompt tokens: a quarter of the bytes of the compact JSON of `contents`,
    /// `systemInstruction` and `tools` (at least 1). The same contents count the same in
    /// `generateContent`, `countTokens` and Code Assist envelopes.
    var promptTokens: Int {
        var counted: [String: JSONValue] = ["contents": .array(contents)]
        if let system = member("systemInstruction", "system_instruction") { counted["systemInstruction"] = system }
        if let tools = members["tools"] { counted["tools"] = tools }
        return max(1, JSONCoding.encode(JSONValue.object(counted)).count / 4)
    }

    /// The first top-level field outside `allowed`, if any.
    func unknownField(allowed: Set<String>) -> String? {
        members.keys.sorted().first { !allowed.contains($0) }
    }

    /// What makes the request invalid, in the words of Google's 400 answers; `nil` when it is fine.
    func problem() -> String? {
        guard let raw = members["contents"], raw != .null else {
            return "* GenerateContentRequest.contents: contents is not specified\n"
        }
        guard let contents = raw.arrayValue else {
            return "Invalid value at 'contents' (type.googleapis.com/google.ai.generativelanguage.v1beta.Content): expected a list"
        }
        guard !contents.isEmpty else { return "* GenerateContentRequest.contents: contents is not specified\n" }
        for (turnIndex, turn) in contents.enumerated() {
            guard case .object = turn else {
                return "Invalid value at 'contents[\(turnIndex)]' (type.googleapis.com/google.ai.generativelanguage.v1beta.Content): expected an object"
            }
            if let role = turn["role"]?.stringValue, role != "user", role != "model" {
                return "Please use a valid role: user, model."
            }
            guard let parts = turn["parts"]?.arrayValue, !parts.isEmpty else {
                return "* GenerateContentRequest.contents[\(turnIndex)].parts: contents.parts must not be empty.\n"
            }
            for (partIndex, part) in parts.enumerated() where !Self.hasData(part) {
                return "* GenerateContentRequest.contents[\(turnIndex)].parts[\(partIndex)].data: required oneof field 'data' must have one initialized field\n"
            }
        }
        return nil
    }

    /// Whether a part carries one of the `data` members (an empty `text` does not count).
    private static func hasData(_ part: JSONValue) -> Bool {
        if let text = part["text"]?.stringValue { return !text.isEmpty }
        let dataFields = [
            "inlineData", "inline_data", "fileData", "file_data", "functionCall", "function_call", "functionResponse",
            "function_response", "executableCode", "executable_code", "codeExecutionResult", "code_execution_result",
        ]
        return dataFields.contains { part[$0] != nil }
    }

    /// For models that require thought signatures on replayed calls (Gemini 3): the first
    /// `functionCall` of a model turn that carries no `thoughtSignature`, as (function name,
    /// index of the turn). Any non-empty signature is accepted.
    func missingThoughtSignature() -> (name: String, turn: Int)? {
        for (index, turn) in contents.enumerated() where turn["role"]?.stringValue == "model" {
            let parts = turn["parts"]?.arrayValue ?? []
            guard let call = parts.first(where: { ($0["functionCall"] ?? $0["function_call"]) != nil }) else { continue }
            let signature = (call["thoughtSignature"] ?? call["thought_signature"])?.stringValue ?? ""
            if signature.isEmpty {
                return ((call["functionCall"] ?? call["function_call"])?["name"]?.stringValue ?? "", index)
            }
        }
        return nil
    }
}
