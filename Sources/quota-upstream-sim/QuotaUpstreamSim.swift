import ArgumentParser
import Dispatch
import Foundation
import Logging
import UpstreamSimulator

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `quota-upstream-sim`: runs the upstream simulator until SIGTERM/SIGINT.
@main
struct QuotaUpstreamSim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quota-upstream-sim",
        abstract: "Simulated OpenAI/Anthropic/Gemini/Code Assist (Antigravity) upstreams for quota-proxy tests, benchmarks and demos.",
        discussion: """
            On start it prints one line to stdout and flushes it:
              {"event":"listening","host":"127.0.0.1","port":8600}
            It exits 0 on SIGTERM or SIGINT (at once; open connections drop).

            UPSTREAM ROUTES
            Key: "Authorization: Bearer KEY" or "x-api-key: KEY"; unknown -> 401.
              POST /v1/chat/completions, /v1/completions, /v1/responses
                   plain, or SSE with "stream": true
              POST /v1/embeddings            GET /v1/models
              POST /v1/messages              needs anthropic-version
              POST /v1/messages/count_tokens
              POST /v1internal:fetchAvailableModels   Antigravity quota
              GET  /quota                    generic quota
              POST /oauth/token              grant_type=refresh_token (form)
              POST /anonymous/mint           GET /healthz
            Gemini API (x-goog-api-key, ?key= or Bearer; Google error bodies):
              POST /v1beta/models/{model}:generateContent | :countTokens
                   :streamGenerateContent?alt=sse (SSE; no alt: JSON array)
              GET  /v1beta/models, /v1beta/models/{model}
            Code Assist (Bearer; {"model","project","request"} -> {"response"}):
              POST /v1internal:generateContent | :streamGenerateContent?alt=sse
                   | :countTokens ({"request"}) | :loadCodeAssist
            Triggers in the last user text: "call tool NAME [with {json}]"
            (Gemini, Code Assist, chat completions, messages: a tool call when
            NAME is declared; a tool result is echoed as "NAME returned {json}"),
            "finish with REASON" (Gemini).
            Model answers carry x-ratelimit-*-requests and
            anthropic-ratelimit-requests-* headers. An exhausted model answers
            429 "No remaining quota: No AI requests remaining".
            Per-request headers: x-sim-chunk-delay-ms, x-sim-chunks.

            ADMIN API (no auth; loopback use only; JSON bodies)
              GET  /admin/state              live config, stats, counters
              GET  /admin/config             PUT /admin/config (replace all)
              POST /admin/settings
                   {"stream_chunk_delay_ms":20,"stream_chunks":5}
              GET|PUT|DELETE /admin/keys/{key}
                   PUT {"models":{"m":{"limit":100,"remaining":100,
                        "reset_seconds":3600}},"strict_models":false,
                        "forbidden":false,"fault":{"mode":"none"},
                        "project":"proj-1"}
              POST /admin/keys/{key}/fault
                   {"mode":"rate_limited","retry_after":5,"fail_count":2,
                    "delay_ms":500,"paths":["/v1/messages"]}
                   modes: none rate_limited quota_exhausted unauthorized
                   server_error unavailable reset slow bad_request
                   malformed_quota
              POST /admin/keys/{key}/quota
                   {"model":"m","remaining":0,"limit":100,"reset_seconds":60}
              GET  /admin/keys/{key}/stats
                   {"requests":N,"by_path":{..},"last_request":
                    {"method":..,"path":..,"headers":{..},"body":".."}}
              POST /admin/reset-counters
              GET|POST|DELETE /admin/outage
                   {"status":503,"fail_count":2} or {"reset":true}: every
                   non-admin route fails (base_urls failover tests)
              GET|POST /admin/mint
                   {"enabled":true,"models":{..},"fail_count":2,
                    "retry_after":3600,"key_prefix":"anon-"}
              PUT|DELETE /admin/refresh-tokens/{token}
                   {"key_template":"sk-a","rotate":true,"expires_in":3600}

            CONFIG FILE (--config), every field optional:
              {"keys":[{"key":"sk-a","models":{"gpt-4o-mini":
                 {"limit":100,"remaining":100,"reset_seconds":3600}}}],
               "stream_chunk_delay_ms":0,"stream_chunks":5,
               "refresh_tokens":{"rt-1":{"key_template":"sk-a","rotate":true}},
               "mint":{"models":{"gpt-4o-mini":{"limit":20}},"fail_count":0}}
            """
    )

    @Option(help: "Address to bind.")
    var host: String = "127.0.0.1"

    @Option(help: "Port to bind; 0 picks a free port (printed in the listening line).")
    var port: Int = 8600

    @Option(help: "JSON configuration file (see CONFIG FILE above).")
    var config: String?

    @Option(name: .customLong("key"), help: "Add an accepted key with no quota limits (repeatable; adds to --config).")
    var keys: [String] = []

    @Option(name: .customLong("stream-chunk-delay-ms"), help: "Pause between streamed events in milliseconds (overrides the config file).")
    var streamChunkDelayMilliseconds: Int?

    @Option(name: .customLong("log-level"), help: "Log level on stderr: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level '\(logLevel)' is not a log level") }
        if let streamChunkDelayMilliseconds, !(0...600_000).contains(streamChunkDelayMilliseconds) {
            throw ValidationError("--stream-chunk-delay-ms must be between 0 and 600000")
        }
    }

    func run() async throws {
        var configuration = SimulatorConfiguration()
        do {
            if let config { configuration = try SimulatorConfiguration.load(fromFile: config) }
            for key in keys where !configuration.keys.contains(where: { $0.key == key }) {
                configuration.keys.append(SimulatedKey(key: key))
            }
            if let streamChunkDelayMilliseconds { configuration.streamChunkDelayMilliseconds = streamChunkDelayMilliseconds }
            try configuration.validate()
        } catch {
            throw ValidationError(error.description)
        }

        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = Logger.Level(rawValue: logLevel) ?? .info
            return handler
        }
        let logger = Logger(label: "quota-upstream-sim")
        let simulator = try UpstreamSimulator(configuration: configuration, logger: logger)
        let host = self.host

        // SIGTERM/SIGINT end the process at once with status 0: a simulator has nothing to drain,
        // and in-flight (possibly deliberately slow) answers must not hold the shutdown up. The
        // handlers are in place before the listening line can be printed.
        let signals = SignalWatcher(signals: [SIGTERM, SIGINT]) { terminateProcess(status: 0) }
        defer { signals.stop() }
        let server = Task {
            try await simulator.run(host: host, port: port) { boundPort in
                let line = "{\"event\":\"listening\",\"host\":\"\(host)\",\"port\":\(boundPort)}\n"
                // FileHandle writes straight to fd 1 (no stdio buffer), so the line is flushed at once.
                FileHandle.standardOutput.write(Data(line.utf8))
            }
        }
        do {
            try await server.value
        } catch {
            logger.error("server failed: \(error)")
            throw ExitCode.failure
        }
        logger.error("server stopped unexpectedly")
        throw ExitCode.failure
    }
}

/// Ends the process with `status` at once, without running `atexit` handlers (which could block
/// on threads that are still serving). Nothing is buffered: stdout is written with `FileHandle`.
private func terminateProcess(status: Int32) -> Never {
    #if canImport(Glibc)
    Glibc._exit(status)
    #elseif canImport(Musl)
    Musl._exit(status)
    #else
    Darwin._exit(status)
    #endif
}
