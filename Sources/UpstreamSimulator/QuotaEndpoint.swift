/// The two quota-reporting dialects.
enum QuotaEndpoint: Sendable {
    /// `POST /v1internal:fetchAvailableModels`
    case antigravity
    /// `GET /quota`
    case generic

    var style: APIStyle { self == .antigravity ? .google : .openAI }
}
