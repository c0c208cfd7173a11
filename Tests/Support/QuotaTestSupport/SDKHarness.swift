import Foundation

/// One of the Python client scripts in `Tests/sdk`, each driving an official SDK.
public enum SDKClient: String, Sendable, CaseIterable {
    /// `openai_chat.py` (openai SDK; base URL as the SDK takes it: `http://HOST:PORT/v1`).
    case openAI = "openai_chat.py"
    /// `anthropic_messages.py` (anthropic SDK; base URL is the origin: `http://HOST:PORT`).
    case anthropic = "anthropic_messages.py"
    /// `genai_generate.py` (google-genai SDK, Gemini API v1beta; base URL is the origin).
    case genai = "genai_generate.py"
}

/// The result line one scenario printed: `{"scenario", "ok", "elapsed_ms", …fields}` or, when the
/// SDK raised, `{"scenario", "ok": false, "error": {"type", "status", "message", "body"}}`.
public struct SDKResult: Sendable, CustomStringConvertible {
    /// The scenario name.
    public let scenario: String
    /// Whether the SDK call succeeded.
    public let ok: Bool
    /// The raw JSON line, for messages and for decoding with the caller's own JSON type.
    public let line: String

    init?(line: String) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
            let scenario = object["scenario"] as? String, let ok = object["ok"] as? Bool
        else { return nil }
        self.scenario = scenario
        self.ok = ok
        self.line = line
    }

    public var description: String { line }

    /// The value at `path` (object keys; decimal strings index arrays), as `JSONSerialization` reads it.
    public func value(_ path: String...) -> Any? { valueAt(path) }

    /// The string at `path`.
    public func string(_ path: String...) -> String? { valueAt(path) as? String }

    /// The integer at `path`.
    public func int(_ path: String...) -> Int? { (valueAt(path) as? NSNumber)?.intValue }

    /// The boolean at `path`.
    public func bool(_ path: String...) -> Bool? { (valueAt(path) as? NSNumber)?.boolValue }

    /// The number of elements of the array at `path`.
    public func count(_ path: String...) -> Int? { (valueAt(path) as? [Any])?.count }

    /// `error.status` of a failed call.
    public var errorStatus: Int? { int("error", "status") }

    /// `error.type` (the SDK's exception class) of a failed call.
    public var errorType: String? { string("error", "type") }

    private func valueAt(_ path: [String]) -> Any? {
        var current: Any? = try? JSONSerialization.jsonObject(with: Data(line.utf8))
        for component in path {
            if let object = current as? [String: Any] {
                current = object[component]
            } else if let array = current as? [Any], let index = Int(component), array.indices.contains(index) {
                current = array[index]
            } else {
                return nil
            }
        }
        return current is NSNull ? nil : current
    }
}

/// Why a harness run gave no results.
public enum SDKHarnessError: Error, CustomStringConvertible {
    /// `Tests/sdk/.venv` is missing.
    case unavailable
    /// The script did not finish in time (it was killed).
    case timedOut(SDKClient, Duration, standardError: String)
    /// The script exited non-zero.
    case failed(SDKClient, status: Int32, standardError: String)
    /// A requested scenario printed no result line.
    case missingResult(SDKClient, scenario: String, standardOutput: String, standardError: String)

    public var description: String {
        switch self {
        case .unavailable:
            return SDKHarness.unavailableReason
        case .timedOut(let client, let timeout, let standardError):
            return "\(client.rawValue) did not finish within \(timeout); stderr:\n\(standardError.suffix(3000))"
        case .failed(let client, let status, let standardError):
            return "\(client.rawValue) exited with status \(status); stderr:\n\(standardError.suffix(3000))"
        case .missingResult(let client, let scenario, let standardOutput, let standardError):
            return "\(client.rawValue) printed no result for scenario '\(scenario)'; stdout:\n\(standardOutput.suffix(2000))\nstderr:\n\(standardError.suffix(3000))"
        }
    }
}

/// Runs the SDK client scripts of `Tests/sdk` with the virtual environment `Tests/sdk/.venv`
/// (made by `Tests/sdk/setup-venv.sh`) and parses their result lines.
///
/// ```swift
/// @Test(.enabled(if: SDKHarness.isAvailable, Comment(rawValue: SDKHarness.unavailableReason)))
/// func openAISDK() async throws {
///     let results = try await SDKHarness.run(.openAI, baseURL: proxyURL + "/v1", apiKey: key, model: "gpt-4o-mini",
///                                            scenarios: ["plain", "stream"])
///     #expect(results["plain"]?.string("content") == "Hello from the quota upstream")
/// }
/// ```
public enum SDKHarness {
    /// `Tests/sdk`, found from this source file's location.
    public static let sdkDirectory: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("sdk").path
    }()

    /// The venv's interpreter.
    public static var python: String { sdkDirectory + "/.venv/bin/python" }

    /// Whether the venv is there (its interpreter and the marker `setup-venv.sh` writes last).
    public static var isAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: python)
            && FileManager.default.fileExists(atPath: sdkDirectory + "/.venv/.requirements.sha256")
    }

    /// The skip message of tests that need the SDKs.
    public static let unavailableReason = "Tests/sdk/.venv is missing: run Tests/sdk/setup-venv.sh (CI's .ci/run does) to run the SDK client tests"

    /// Environment variables removed before running a script: proxies (the tests talk to loopback
    /// only) and the SDKs' own configuration, which would override the arguments.
    static let clearedEnvironment = [
        "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy",
        "OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID",
        "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL",
        "GOOGLE_API_KEY", "GEMINI_API_KEY", "GOOGLE_GEMINI_BASE_URL", "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_CLOUD_PROJECT",
    ]

    /// Runs `client` once with every scenario and returns the results by scenario name.
    /// - Parameters:
    ///   - baseURL: the URL as the SDK takes it (see ``SDKClient``).
    ///   - extraArguments: more script options, e.g. `["--unknown-model", "x"]`.
    ///   - timeout: for the whole run (imports included; the machine may be loaded).
    /// - Throws: ``SDKHarnessError``.
    public static func run(
        _ client: SDKClient, baseURL: String, apiKey: String, model: String, scenarios: [String], extraArguments: [String] = [],
        timeout: Duration = .seconds(180)
    ) async throws -> [String: SDKResult] {
        guard isAvailable else { throw SDKHarnessError.unavailable }
        var environment = ProcessInfo.processInfo.environment
        for name in clearedEnvironment { environment[name] = nil }
        environment["NO_PROXY"] = "127.0.0.1,localhost"
        environment["no_proxy"] = "127.0.0.1,localhost"
        environment["PYTHONUNBUFFERED"] = "1"
        let run = try await ChildProcess.run(
            python,
            [sdkDirectory + "/" + client.rawValue, "--base-url", baseURL, "--api-key", apiKey, "--model", model] + extraArguments + scenarios,
            environment: environment, directory: sdkDirectory, timeLimit: timeout)
        let standardOutput = run.standardOutput
        let standardError = run.standardError
        guard !run.timedOut else { throw SDKHarnessError.timedOut(client, timeout, standardError: standardError) }
        guard run.termination == .exited(0) else { throw SDKHarnessError.failed(client, status: run.status, standardError: standardError) }

        var results: [String: SDKResult] = [:]
        for line in standardOutput.split(separator: "\n") {
            if let result = SDKResult(line: String(line)) { results[result.scenario] = result }
        }
        for scenario in scenarios where results[scenario] == nil {
            throw SDKHarnessError.missingResult(client, scenario: scenario, standardOutput: standardOutput, standardError: standardError)
        }
        return results
    }
}
