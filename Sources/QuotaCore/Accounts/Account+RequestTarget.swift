extension Account {
    /// The placeholder shown for the model in a URL whose path names it (Gemini) when the account
    /// lists no models.
    public static let modelPlaceholder = "MODEL"

    /// Where a chat request through this account goes, for operators: `POST
    /// https://api.openai.com/v1/chat/completions`, one line per base URL in the order they are
    /// tried (``allBaseURLs``). A provider whose path names the model (Gemini) shows `model`, else
    /// the account's first listed model, else ``modelPlaceholder``.
    ///
    /// Built with ``ProviderDialect/describeTarget(baseURL:operation:model:stream:)``, the same
    /// functions the proxy sends with. Never holds a credential: a base URL with user info, a
    /// query or a fragment is not usable and is described by its position only.
    public func requestTargets(model: String? = nil) -> [String] {
        let model = model ?? models?.first ?? Self.modelPlaceholder
        return allBaseURLs.enumerated().map { position, baseURL in
            if let url = provider.dialect.describeTarget(baseURL: baseURL, model: model) {
                return "POST " + url
            }
            let name = position == 0 ? "base_url" : "fallback base URL \(position)"
            return "none: \(name) is not an absolute http(s) URL without user info, query or fragment"
        }
    }
}
