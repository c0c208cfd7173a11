import Foundation
import HTTPTypes
import Hummingbird

extension SimulatorResponder {
    /// The admin API (no authentication; meant for loopback test use). See `UpstreamSimulator` for
    /// the route list.
    func handleAdmin(method: HTTPRequest.Method, path: String, body: ByteBuffer) async throws(SimulatorError) -> Response {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true).dropFirst().map { segment in
            String(segment).removingPercentEncoding ?? String(segment)
        }
        let data = Self.data(body)
        switch (method, segments.count, segments.first) {
        case (.get, 1, "state"):
            return HTTPResponses.encodable(200, await state.snapshot())
        case (.get, 1, "config"):
            return HTTPResponses.encodable(200, await state.configuration())
        case (.put, 1, "config"):
            let configuration = try JSONCoding.decode(SimulatorConfiguration.self, from: try Self.requireBody(data), what: "configuration")
            try await state.replaceConfiguration(configuration)
            return HTTPResponses.encodable(200, await state.configuration())
        case (.post, 1, "settings"):
            let update = try JSONCoding.decode(StreamingSettingsUpdate.self, from: try Self.requireBody(data), what: "settings")
            try await state.setStreaming(delayMilliseconds: update.streamChunkDelayMilliseconds, chunks: update.streamChunks)
            let settings = await state.streamingSettings()
            return HTTPResponses.encodable(200, StreamingSettingsUpdate(streamChunkDelayMilliseconds: settings.delayMilliseconds, streamChunks: settings.chunks))
        case (.post, 1, "reset-counters"):
            await state.resetCounters()
            return HTTPResponses.json(200, ["ok": true])
        case (.get, 1, "mint"):
            return HTTPResponses.encodable(200, await state.mintConfiguration())
        case (.post, 1, "mint"):
            let overlay = try JSONCoding.decode([String: JSONValue].self, from: try Self.requireBody(data), what: "mint configuration")
            guard case .object(var merged) = try? JSONDecoder().decode(JSONValue.self, from: JSONCoding.encode(await state.mintConfiguration())) else {
                throw .invalidRequest("internal: cannot merge mint configuration")
            }
            for (name, value) in overlay { merged[name] = value }
            let mint = try JSONCoding.decode(MintConfiguration.self, from: JSONCoding.encode(JSONValue.object(merged)), what: "mint configuration")
            try await state.setMintConfiguration(mint)
            return HTTPResponses.encodable(200, mint)
        case (_, 2, "refresh-tokens"):
            let token = segments[1]
            switch method {
            case .put:
                let configuration = try JSONCoding.decode(RefreshTokenConfiguration.self, from: try Self.requireBody(data), what: "refresh token")
                try await state.setRefreshToken(token, configuration)
                return HTTPResponses.encodable(200, configuration)
            case .delete:
                try await state.revokeRefreshToken(token)
                return HTTPResponses.json(200, ["revoked": .string(token)])
            default:
                return Self.methodNotAllowed(method, path)
            }
        case (_, 1, "outage"):
            return try await handleAdminOutage(method: method, path: path, data: data)
        case (_, 2, "keys"):
            return try await handleAdminKey(method: method, path: path, key: segments[1], data: data)
        case (_, 3, "keys"):
            return try await handleAdminKeyAction(method: method, path: path, key: segments[1], action: segments[2], data: data)
        default:
            return HTTPResponses.error(.openAI, status: 404, type: "not_found_error", message: "Unknown admin route \(method.rawValue) \(path)", code: "unknown_url")
        }
    }

    private func handleAdminKey(method: HTTPRequest.Method, path: String, key: String, data: Data) async throws(SimulatorError) -> Response {
        switch method {
        case .get:
            guard let live = await state.key(key) else { throw .unknownKey(key) }
            return HTTPResponses.encodable(200, live)
        case .put:
            var simulated = try JSONCoding.decode(SimulatedKey.self, from: try Self.requireBody(data), what: "key")
            if !simulated.key.isEmpty && simulated.key != key {
                throw .invalidRequest("body key '\(simulated.key)' does not match the key in the path '\(key)'")
            }
            simulated.key = key
            try await state.upsertKey(simulated)
            return HTTPResponses.encodable(200, await state.key(key))
        case .delete:
            try await state.removeKey(key)
            return HTTPResponses.json(200, ["deleted": .string(key)])
        default:
            return Self.methodNotAllowed(method, path)
        }
    }

    private func handleAdminKeyAction(method: HTTPRequest.Method, path: String, key: String, action: String, data: Data) async throws(SimulatorError) -> Response {
        switch (method, action) {
        case (.post, "fault"), (.put, "fault"):
            let fault = try JSONCoding.decode(Fault.self, from: try Self.requireBody(data), what: "fault")
            try await state.setFault(fault, forKey: key)
            return HTTPResponses.encodable(200, await state.key(key))
        case (.post, "quota"), (.put, "quota"):
            let update = try JSONCoding.decode(QuotaUpdate.self, from: try Self.requireBody(data), what: "quota")
            try await state.setQuota(update, forKey: key)
            return HTTPResponses.encodable(200, await state.key(key))
        case (.post, "subscription"), (.put, "subscription"):
            let update = try JSONCoding.decode(SubscriptionUpdate.self, from: try Self.requireBody(data), what: "subscription")
            _ = try await state.updateSubscription(update, forKey: key)
            return HTTPResponses.encodable(200, await state.key(key))
        case (.get, "stats"):
            return HTTPResponses.encodable(200, try await state.stats(forKey: key))
        case (_, "fault"), (_, "quota"), (_, "stats"), (_, "subscription"):
            return Self.methodNotAllowed(method, path)
        default:
            return HTTPResponses.error(.openAI, status: 404, type: "not_found_error", message: "Unknown admin route \(method.rawValue) \(path)", code: "unknown_url")
        }
    }

    private static func requireBody(_ data: Data) throws(SimulatorError) -> Data {
        guard !data.isEmpty else { throw .invalidRequest("a JSON body is required") }
        return data
    }
}
