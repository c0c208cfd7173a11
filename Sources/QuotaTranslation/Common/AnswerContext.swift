/// What answer encoders need besides the answer: names and ids the upstream may not provide.
struct AnswerContext: Sendable, Equatable {
    /// The model name to report when the upstream names none.
    var model: String
    /// The proxy's id of the exchange: seeds ids the upstream does not give.
    var requestID: String
    /// Unix seconds, for OpenAI's `created`.
    var created: Int
    /// OpenAI `stream_options.include_usage`.
    var includeUsage: Bool
}
