import Foundation

/// The simulator's deterministic tool-call trigger, shared by every API it simulates: the text of
/// the last user turn contains `call tool NAME` or `call tool NAME with {JSON object}` and `NAME` is
/// a function the request lets the model call.
enum ToolTrigger {
    /// The call `text` asks for: `NAME` when it is in `callable`, with the JSON object after
    /// ` with ` as arguments (`{}` when there is none or it does not parse).
    static func requestedCall(in text: String, callable: [String]) -> (name: String, args: JSONValue)? {
        guard !callable.isEmpty, let range = text.range(of: "call tool ") else { return nil }
        let rest = text[range.upperBound...]
        let name = String(rest.prefix { !$0.isWhitespace })
        guard callable.contains(name) else { return nil }
        var args: JSONValue = [:]
        let after = rest.dropFirst(name.count)
        if let with = after.range(of: " with "), let brace = after[with.upperBound...].firstIndex(of: "{") {
            if let parsed = leadingJSONObject(String(after[brace...])) { args = parsed }
        }
        return (name, args)
    }

    /// The sentence a tool result is echoed back with: `NAME returned {compact JSON, sorted keys}`;
    /// a result that is not JSON is quoted as it came.
    static func echo(name: String, result: JSONValue) -> String {
        "\(name) returned \(result.encoded())"
    }

    /// A tool result given as text (OpenAI `role: tool` content, Anthropic `tool_result` content):
    /// the JSON it holds, or the text itself when it is not JSON.
    static func resultValue(text: String) -> JSONValue {
        (try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))) ?? .string(text)
    }

    /// The JSON object at the start of `text` (ignoring whatever follows its closing brace).
    static func leadingJSONObject(_ text: String) -> JSONValue? {
        var depth = 0
        var inString = false
        var escaped = false
        for (offset, character) in text.enumerated() {
            if inString {
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "\"" { inString = false }
                continue
            }
            switch character {
            case "\"": inString = true
            case "{": depth += 1
            case "}":
                depth -= 1
                if depth == 0 {
                    let json = String(text.prefix(offset + 1))
                    guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(json.utf8)), case .object = value else { return nil }
                    return value
                }
            default: break
            }
        }
        return nil
    }
}
