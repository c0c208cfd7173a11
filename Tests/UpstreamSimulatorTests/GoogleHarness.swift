import Foundation
import UpstreamSimulator

extension SimulatorHarness {
    /// `POST /v1beta/models/{model}:{method}{query}` with `x-goog-api-key` (or the given headers).
    func gemini(
        _ method: String = "generateContent", model: String, key: String? = "g-key", query: String = "",
        headers: [(String, String)] = [], body: String
    ) async throws -> HTTPResult {
        let auth = key.map { [("x-goog-api-key", $0)] } ?? []
        return try await send(.POST, "/v1beta/models/\(model):\(method)\(query)", headers: auth + headers, body: body)
    }

    /// `POST /v1internal:{method}{query}` with `Authorization: Bearer TOKEN`.
    func codeAssist(
        _ method: String, token: String? = "ca-token", query: String = "", headers: [(String, String)] = [], body: String
    ) async throws -> HTTPResult {
        let auth = token.map { [("authorization", "Bearer \($0)")] } ?? []
        return try await send(.POST, "/v1internal:\(method)\(query)", headers: auth + headers, body: body)
    }
}

extension SimulatorConfiguration {
    /// Keys `g-key` (Gemini API key) and `ca-token` (Code Assist OAuth token, project `proj-sim`),
    /// each serving `gemini-2.5-flash` (10 per minute) and `gemini-2.5-pro` (5 per 5 hours);
    /// other models are served unlimited.
    static func google(flashLimit: Int = 10, proLimit: Int = 5) -> SimulatorConfiguration {
        let models = [
            "gemini-2.5-flash": ModelQuota(limit: flashLimit, resetSeconds: 60),
            "gemini-2.5-pro": ModelQuota(limit: proLimit, resetSeconds: 18000),
        ]
        return SimulatorConfiguration(keys: [
            SimulatedKey(key: "g-key", models: models),
            SimulatedKey(key: "ca-token", models: models, project: "proj-sim"),
        ])
    }
}

/// A one-turn user request body with `text`.
func geminiBody(_ text: String = "Say hello", extra: String = "") -> String {
    let escaped = String(decoding: try! JSONEncoder().encode(text), as: UTF8.self)
    return #"{"contents":[{"role":"user","parts":[{"text":\#(escaped)}]}]\#(extra.isEmpty ? "" : "," + extra)}"#
}

/// A Code Assist generate envelope around `request`.
func codeAssistBody(model: String, project: String? = "proj-sim", request: String) -> String {
    let projectField = project.map { #","project":"\#($0)""# } ?? ""
    return #"{"model":"\#(model)"\#(projectField),"user_prompt_id":"p-1","request":\#(request)}"#
}

/// The `data:` payloads of a Google SSE body (events end in CRLF CRLF).
func googleSSEEvents(_ body: String) -> [JSONValue] {
    body.components(separatedBy: "\r\n\r\n").compactMap { block -> JSONValue? in
        guard block.hasPrefix("data: ") else { return nil }
        return decodeJSON(String(block.dropFirst(6)))
    }
}

/// The `@type`s of `error.details`, in order.
func detailTypes(_ json: JSONValue?) -> [String] {
    json?["error"]?["details"]?.arrayValue?.compactMap { $0["@type"]?.stringValue } ?? []
}

/// The entry of `error.details` with `@type` ending in `suffix` (e.g. `ErrorInfo`).
func detail(_ json: JSONValue?, _ suffix: String) -> JSONValue? {
    json?["error"]?["details"]?.arrayValue?.first { $0["@type"]?.stringValue?.hasSuffix("." + suffix) == true }
}
