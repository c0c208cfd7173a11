/// One simulated tool call of the OpenAI or Anthropic API: its id, the function's name and the
/// arguments (a JSON object), with the pieces the arguments are streamed in.
struct SimulatedToolCall: Sendable, Equatable {
    /// `call_…` (OpenAI) or `toolu_…` (Anthropic).
    let id: String
    let name: String
    let arguments: JSONValue

    /// A call with a fresh id of the API's form.
    init(name: String, arguments: JSONValue, style: APIStyle) {
        self.id = SimulatedCompletion.identifier(style == .anthropic ? "toolu_" : "call_")
        self.name = name
        self.arguments = arguments
    }

    /// The arguments as compact JSON (sorted keys): OpenAI's `function.arguments` string.
    var argumentsText: String { arguments.encoded() }

    /// Output tokens of the call, estimated as the Gemini answer does (a quarter of the argument bytes, plus one).
    var completionTokens: Int { max(1, argumentsText.utf8.count / 4 + 1) }

    /// `argumentsText` cut into at most `count` pieces of nearly equal length, in order (their
    /// concatenation is `argumentsText`); at least one piece.
    func argumentPieces(_ count: Int) -> [String] {
        let characters = Array(argumentsText)
        let pieces = max(1, min(count, characters.count))
        let size = (characters.count + pieces - 1) / pieces
        return stride(from: 0, to: characters.count, by: max(1, size)).map { String(characters[$0..<min($0 + size, characters.count)]) }
    }
}
