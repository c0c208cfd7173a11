import Foundation

/// Body of `POST /admin/settings`.
struct StreamingSettingsUpdate: Codable, Sendable {
    var streamChunkDelayMilliseconds: Int?
    var streamChunks: Int?

    enum CodingKeys: String, CodingKey {
        case streamChunkDelayMilliseconds = "stream_chunk_delay_ms"
        case streamChunks = "stream_chunks"
    }
}
