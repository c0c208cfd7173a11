import Foundation

/// The whole configuration of the upstream simulator: keys, streaming pace, OAuth refresh tokens
/// and anonymous-mint behaviour.
///
/// Loaded from a JSON file by `quota-upstream-sim --config FILE`, replaceable at run time with
/// `PUT /admin/config`. Every field is optional when decoding. Example:
/// ```json
/// {
///   "keys": [
///     {"key": "sk-a", "models": {"gpt-4o-mini": {"limit": 100, "remaining": 100, "reset_seconds": 3600}}},
///     {"key": "sk-b", "strict_models": true, "fault": {"mode": "rate_limited", "retry_after": 5, "fail_count": 2}}
///   ],
///   "stream_chunk_delay_ms": 20,
///   "stream_chunks": 5,
///   "refresh_tokens": {"rt-1": {"key_template": "sk-a", "rotate": true, "expires_in": 3600}},
///   "mint": {"models": {"gpt-4o-mini": {"limit": 20}}, "fail_count": 0, "retry_after": 3600},
///   "deprecated_model_ids": {"gemini-3-pro-high": "gemini-pro-agent"}
/// }
/// ```
public struct SimulatorConfiguration: Codable, Sendable, Equatable {
    /// The accepted keys.
    public var keys: [SimulatedKey]
    /// Pause between two streamed events, in milliseconds (per request: header `x-sim-chunk-delay-ms`).
    public var streamChunkDelayMilliseconds: Int
    /// Number of content chunks in an answer (per request: header `x-sim-chunks`; capped by the
    /// request's `max_tokens`).
    public var streamChunks: Int
    /// Refresh tokens accepted by `POST /oauth/token`, keyed by the token.
    public var refreshTokens: [String: RefreshTokenConfiguration]
    /// Anonymous mint behaviour.
    public var mint: MintConfiguration
    /// Old model id → its replacement, answered by `fetchAvailableModels` as
    /// `deprecatedModelIds{old: {newModelId}}`.
    public var deprecatedModelIds: [String: String]

    /// Creates a configuration.
    public init(
        keys: [SimulatedKey] = [],
        streamChunkDelayMilliseconds: Int = 0,
        streamChunks: Int = 5,
        refreshTokens: [String: RefreshTokenConfiguration] = [:],
        mint: MintConfiguration = MintConfiguration(),
        deprecatedModelIds: [String: String] = [:]
    ) {
        self.keys = keys
        self.streamChunkDelayMilliseconds = streamChunkDelayMilliseconds
        self.streamChunks = streamChunks
        self.refreshTokens = refreshTokens
        self.mint = mint
        self.deprecatedModelIds = deprecatedModelIds
    }

    enum CodingKeys: String, CodingKey {
        case keys
        case streamChunkDelayMilliseconds = "stream_chunk_delay_ms"
        case streamChunks = "stream_chunks"
        case refreshTokens = "refresh_tokens"
        case mint
        case deprecatedModelIds = "deprecated_model_ids"
    }

    /// Decodes a configuration; every field is optional.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.keys = try container.decodeIfPresent([SimulatedKey].self, forKey: .keys) ?? []
        self.streamChunkDelayMilliseconds = try container.decodeIfPresent(Int.self, forKey: .streamChunkDelayMilliseconds) ?? 0
        self.streamChunks = try container.decodeIfPresent(Int.self, forKey: .streamChunks) ?? 5
        self.refreshTokens = try container.decodeIfPresent([String: RefreshTokenConfiguration].self, forKey: .refreshTokens) ?? [:]
        self.mint = try container.decodeIfPresent(MintConfiguration.self, forKey: .mint) ?? MintConfiguration()
        self.deprecatedModelIds = try container.decodeIfPresent([String: String].self, forKey: .deprecatedModelIds) ?? [:]
    }

    /// Decodes and validates a configuration from JSON bytes.
    public static func decode(from data: Data) throws(SimulatorError) -> SimulatorConfiguration {
        let configuration = try JSONCoding.decode(SimulatorConfiguration.self, from: data, what: "configuration")
        try configuration.validate()
        return configuration
    }

    /// Reads, decodes and validates a configuration file.
    public static func load(fromFile path: String) throws(SimulatorError) -> SimulatorConfiguration {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadableFile(path: path, reason: error.localizedDescription)
        }
        do {
            return try decode(from: data)
        } catch {
            throw .invalidConfiguration("\(path): \(error.description)")
        }
    }

    /// Checks every key, the streaming numbers, the refresh tokens and the mint settings.
    public func validate() throws(SimulatorError) {
        var seen = Set<String>()
        for key in keys {
            try key.validate()
            guard seen.insert(key.key).inserted else { throw .invalidConfiguration("key '\(key.key)' is listed twice") }
        }
        try Self.validateStreaming(delay: streamChunkDelayMilliseconds, chunks: streamChunks)
        for (token, config) in refreshTokens {
            guard !token.isEmpty else { throw .invalidConfiguration("refresh_tokens has an empty token") }
            guard seen.contains(config.keyTemplate) else {
                throw .invalidConfiguration("refresh_tokens[\(token)].key_template '\(config.keyTemplate)' is not a configured key")
            }
            guard config.expiresIn >= 0 else { throw .invalidConfiguration("refresh_tokens[\(token)].expires_in must be >= 0") }
        }
        try mint.validate()
        for (old, new) in deprecatedModelIds where old.isEmpty || new.isEmpty {
            throw .invalidConfiguration("deprecated_model_ids has an empty model id ('\(old)' -> '\(new)')")
        }
    }

    static func validateStreaming(delay: Int, chunks: Int) throws(SimulatorError) {
        guard (0...600_000).contains(delay) else { throw .invalidConfiguration("stream_chunk_delay_ms must be between 0 and 600000") }
        guard (1...10_000).contains(chunks) else { throw .invalidConfiguration("stream_chunks must be between 1 and 10000") }
    }
}
