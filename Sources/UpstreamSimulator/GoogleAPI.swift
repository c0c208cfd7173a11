/// The two Google model APIs the simulator speaks.
enum GoogleAPI: Sendable, Equatable {
    /// The public Gemini API: `/v1beta/models/{model}:{method}`, `x-goog-api-key` or OAuth.
    case gemini
    /// Code Assist (Cloud Code, Antigravity): `/v1internal:{method}`, OAuth; bodies wrapped in
    /// `{"request": …}` and answers in `{"response": …}`.
    case codeAssist

    /// The `ErrorInfo.domain` of the API's own errors.
    var domain: String {
        switch self {
        case .gemini: return "generativelanguage.googleapis.com"
        case .codeAssist: return "cloudcode-pa.googleapis.com"
        }
    }
}
