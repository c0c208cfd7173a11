/// Puts decoded turns into the shape every target accepts (research notes §4.4.3):
/// empty text parts are dropped (Gemini rejects them: "required oneof field 'data' must have one
/// initialized field"; Anthropic rejects empty text blocks), turns left without parts are dropped,
/// and consecutive turns of one role are merged (Gemini requires user/model alternation; OpenAI
/// tool messages become one user turn of tool results).
enum ConversationNormalizer {
    static func normalize(_ turns: [ChatMessage]) -> [ChatMessage] {
        var result: [ChatMessage] = []
        result.reserveCapacity(turns.count)
        for var turn in turns {
            if turn.parts.contains(where: \.isEmptyText) {
                turn.parts.removeAll(where: \.isEmptyText)
            }
            guard !turn.parts.isEmpty else { continue }
            if let last = result.indices.last, result[last].role == turn.role {
                result[last].parts.append(contentsOf: turn.parts)
            } else {
                result.append(turn)
            }
        }
        return result
    }
}
