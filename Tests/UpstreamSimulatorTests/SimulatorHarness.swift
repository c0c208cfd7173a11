import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import QuotaTestSupport
import Synchronization
import UpstreamSimulator

/// One HTTP answer, fully read.
struct HTTPResult: Sendable {
    let status: Int
    let headers: HTTPHeaders
    let body: String

    var json: JSONValue? { try? JSONDecoder().decode(JSONValue.self, from: Data(body.utf8)) }

    func header(_ name: String) -> String? { headers.first(name: name) }
}

/// A running simulator plus a small HTTP client for it.
struct SimulatorHarness: Sendable {
    let port: Int
    let state: SimulatorState
    let clock: ManualClock

    var baseURL: String { "http://127.0.0.1:\(port)" }

    static let quietLogger: Logger = {
        var logger = Logger(label: "quota-upstream-sim-tests")
        logger.logLevel = .critical
        return logger
    }()

    /// Starts a simulator on 127.0.0.1:0, runs `body`, stops the simulator.
    static func with(
        _ configuration: SimulatorConfiguration,
        clock: ManualClock = ManualClock(Date(timeIntervalSince1970: 1_795_000_000)),
        _ body: (SimulatorHarness) async throws -> Void
    ) async throws {
        let state = try SimulatorState(configuration: configuration, now: { clock.now })
        let simulator = UpstreamSimulator(state: state, logger: quietLogger)
        try await simulator.withRunningServer { port in
            try await body(SimulatorHarness(port: port, state: state, clock: clock))
        }
    }

    /// Sends a request and reads the whole answer.
    func send(
        _ method: HTTPMethod,
        _ path: String,
        headers: [(String, String)] = [],
        body: String? = nil
    ) async throws -> HTTPResult {
        let response = try await HTTPClient.shared.execute(makeRequest(method, path, headers: headers, body: body), timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 16 * 1024 * 1024)
        return HTTPResult(status: Int(response.status.code), headers: response.headers, body: String(buffer: bytes))
    }

    /// Sends a request and returns the answer with its body still streaming.
    func open(_ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], body: String? = nil) async throws -> HTTPClientResponse {
        try await HTTPClient.shared.execute(makeRequest(method, path, headers: headers, body: body), timeout: .seconds(30))
    }

    func makeRequest(_ method: HTTPMethod, _ path: String, headers: [(String, String)], body: String?) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.body = .bytes(ByteBuffer(string: body))
            if !headers.contains(where: { $0.0.lowercased() == "content-type" }) {
                request.headers.add(name: "content-type", value: "application/json")
            }
        }
        return request
    }

    /// `POST /v1/chat/completions` with a Bearer key.
    func chat(key: String, model: String, stream: Bool = false, extraHeaders: [(String, String)] = []) async throws -> HTTPResult {
        try await send(
            .POST, "/v1/chat/completions",
            headers: [("authorization", "Bearer \(key)")] + extraHeaders,
            body: #"{"model":"\#(model)","stream":\#(stream),"messages":[{"role":"user","content":"hi"}]}"#
        )
    }

    /// `POST /v1/messages` with `x-api-key` and `anthropic-version`.
    func message(key: String, model: String, stream: Bool = false, extraHeaders: [(String, String)] = []) async throws -> HTTPResult {
        try await send(
            .POST, "/v1/messages",
            headers: [("x-api-key", key), ("anthropic-version", "2023-06-01")] + extraHeaders,
            body: #"{"model":"\#(model)","max_tokens":64,"stream":\#(stream),"messages":[{"role":"user","content":"hi"}]}"#
        )
    }

    /// An admin call with a JSON body.
    func admin(_ method: HTTPMethod, _ path: String, _ body: String? = nil) async throws -> HTTPResult {
        try await send(method, path, body: body)
    }
}

extension SimulatorConfiguration {
    /// A configuration with one key `sk-a` serving model `m` (and `m2`) with the given quota.
    static func oneKey(limit: Int = 10, remaining: Int? = nil, resetSeconds: Int = 60) -> SimulatorConfiguration {
        SimulatorConfiguration(keys: [
            SimulatedKey(key: "sk-a", models: [
                "m": ModelQuota(limit: limit, remaining: remaining, resetSeconds: resetSeconds),
                "m2": ModelQuota(limit: 100, remaining: 80, resetSeconds: 3600),
            ])
        ])
    }
}

/// Server-sent events parsed from a stream body.
struct ParsedEvent: Equatable {
    var event: String?
    var data: String
}

func parseSSE(_ text: String) -> [ParsedEvent] {
    text.components(separatedBy: "\n\n").compactMap { block in
        var event: String?
        var data: [String] = []
        for line in block.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("event: ") { event = String(line.dropFirst(7)) }
            if line.hasPrefix("data: ") { data.append(String(line.dropFirst(6))) }
        }
        return data.isEmpty ? nil : ParsedEvent(event: event, data: data.joined(separator: "\n"))
    }
}

func decodeJSON(_ text: String) -> JSONValue? {
    try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
}
