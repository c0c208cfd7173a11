import AsyncHTTPClient
import Foundation
import Glibc
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import QuotaControl
import QuotaCore
import QuotaTestSupport
import Testing
import UpstreamSimulator

/// A real `quota-proxy` process in front of an in-process upstream simulator, with temporary
/// state and runtime folders and a `NOTIFY_SOCKET` listener.
final class ProxyEnvironment: Sendable {
    static let clientKey = "test-client-key"

    let dir: TemporaryDirectory
    let statePath: String
    let runtimePath: String
    let configPath: String
    let simulatorState: SimulatorState
    let simulatorPort: Int
    let process: ServiceProcess
    let notify: NotifySocketListener
    let proxyPort: Int
    private let simulatorTask: Task<Void, any Error>

    var simulatorURL: String { "http://127.0.0.1:\(simulatorPort)" }
    var proxyURL: String { "http://127.0.0.1:\(proxyPort)" }
    var control: ControlClient { ControlClient(path: runtimePath + "/proxy.sock") }

    static let quietLogger: Logger = {
        var logger = Logger(label: "simulator")
        logger.logLevel = .critical
        return logger
    }()

    /// Runs an in-process simulator on a free loopback port until the returned task is cancelled.
    static func startSimulator(_ state: SimulatorState) async -> (port: Int, task: Task<Void, any Error>) {
        let sim = UpstreamSimulator(state: state, logger: quietLogger)
        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let task = Task {
            try await sim.withRunningServer { port in
                portContinuation.yield(port)
                while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
            }
        }
        var port = 0
        for await value in portStream {
            port = value
            break
        }
        return (port, task)
    }

    /// Starts the simulator with `keys`, writes `accounts` (built from the simulator's URL), writes
    /// the configuration, and starts the proxy; returns once the proxy sent READY=1.
    static func start(
        keys: [SimulatedKey],
        simulator: SimulatorConfiguration = SimulatorConfiguration(),
        config: [String: QuotaCore.JSONValue] = [:],
        launcher: [String] = [],
        accounts: (String) -> [Account]
    ) async throws -> ProxyEnvironment {
        var simulatorConfiguration = simulator
        simulatorConfiguration.keys = keys
        let state = try SimulatorState(configuration: simulatorConfiguration)
        let (port, task) = await startSimulator(state)
        return try await ProxyEnvironment(
            simulatorState: state, simulatorPort: port, simulatorTask: task, config: config, launcher: launcher,
            accounts: accounts("http://127.0.0.1:\(port)"))
    }

    private init(
        simulatorState: SimulatorState, simulatorPort: Int, simulatorTask: Task<Void, any Error>, config: [String: QuotaCore.JSONValue],
        launcher: [String], accounts: [Account]
    ) async throws {
        self.simulatorState = simulatorState
        self.simulatorPort = simulatorPort
        self.simulatorTask = simulatorTask
        dir = try TemporaryDirectory()
        statePath = try dir.subdirectory("state")
        runtimePath = try dir.subdirectory("run")
        _ = try dir.subdirectory("state/accounts")
        configPath = dir.path + "/config.json"
        var configuration = config
        var listen = configuration["listen"]?.objectValue ?? [:]
        listen["host"] = "127.0.0.1"
        listen["port"] = 0
        configuration["listen"] = .object(listen)
        configuration["client_api_keys"] = configuration["client_api_keys"] ?? [.string(Self.clientKey)]
        // "{{SIM}}" in a configuration string stands for the simulator's base URL.
        let text = String(decoding: try JSONEncoder().encode(QuotaCore.JSONValue.object(configuration)), as: UTF8.self)
            .replacingOccurrences(of: "{{SIM}}", with: "http://127.0.0.1:\(simulatorPort)")
        try Data(text.utf8).write(to: URL(fileURLWithPath: configPath))
        for account in accounts { try Self.write(account, to: statePath) }
        notify = try NotifySocketListener(directory: dir.path, watching: runtimePath + "/proxy.sock")
        process = try ServiceProcess(
            "quota-proxy",
            arguments: ["--config", configPath, "--state-dir", statePath, "--runtime-dir", runtimePath, "--log-level", "debug"],
            environment: ["NOTIFY_SOCKET": notify.path],
            logDirectory: dir.path, launcher: launcher)
        guard await notify.waitFor("READY=1") != nil else {
            throw EnvironmentError.notReady(process.standardError)
        }
        let status = try await ControlClient(path: runtimePath + "/proxy.sock").send("status")
        guard let listen = status["details"]?["listen"]?.stringValue, let port = listen.split(separator: ":").last.flatMap({ Int($0) })
        else {
            throw EnvironmentError.notReady("no listen address in \(status)")
        }
        proxyPort = port
    }

    enum EnvironmentError: Error, CustomStringConvertible {
        case notReady(String)
        var description: String {
            switch self {
            case .notReady(let log): "the proxy did not become ready:\n\(log)"
            }
        }
    }

    static func write(_ account: Account, to statePath: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let path = "\(statePath)/accounts/\(account.id).json"
        try encoder.encode(account).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o600)
    }

    /// Stops the proxy (SIGTERM, expecting exit 0) and the simulator, and removes the folder.
    func stop() async {
        process.signal(SIGTERM)
        let status = await process.waitForExit()
        #expect(status == 0, "proxy exit status; stderr:\n\(process.standardError.suffix(3000))")
        simulatorTask.cancel()
        _ = await simulatorTask.result
        notify.stop()
        dir.remove()
    }

    // MARK: - Client requests

    struct Answer: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: String
        var json: QuotaCore.JSONValue? { try? JSONDecoder().decode(QuotaCore.JSONValue.self, from: Data(body.utf8)) }
    }

    func send(
        _ method: HTTPMethod, _ path: String, body: String? = nil, key: String? = ProxyEnvironment.clientKey,
        keyHeader: String = "authorization", headers extra: [(String, String)] = []
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: proxyURL + path)
        request.method = method
        if let key {
            request.headers.add(name: keyHeader, value: keyHeader == "authorization" ? "Bearer \(key)" : key)
        }
        for (name, value) in extra { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return Answer(status: Int(response.status.code), headers: response.headers, body: String(buffer: bytes))
    }

    func send(
        _ path: String, body: String? = nil, key: String? = ProxyEnvironment.clientKey, keyHeader: String = "authorization",
        headers extra: [(String, String)] = []
    ) async throws -> Answer {
        try await send(.POST, path, body: body, key: key, keyHeader: keyHeader, headers: extra)
    }

    func chat(model: String, stream: Bool = false, key: String? = ProxyEnvironment.clientKey) async throws -> Answer {
        try await send(
            "/v1/chat/completions",
            body: #"{"model":"\#(model)","messages":[{"role":"user","content":"hello"}],"stream":\#(stream)}"#, key: key)
    }

    func requests(to key: String) async throws -> Int {
        try await simulatorState.stats(forKey: key).requests
    }

    /// The proxy's resident memory (`VmRSS` of `/proc/<pid>/status`), in bytes.
    func residentBytes() -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(process.pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }

    /// Polls `condition` every 20 ms until it holds or `timeout` passes.
    func eventually(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }
}

extension Account {
    /// A test account of the simulator.
    static func simulated(
        _ id: String, key: String, baseURL: String, provider: Provider = .openai, tier: Tier = .primary, models: [String]? = nil,
        protectedModels: [String] = [], quota: AccountQuota = AccountQuota()
    ) -> Account {
        Account(
            id: id, label: "\(id)@test", provider: provider, baseURL: baseURL, tier: tier, credentials: .apiKey(key),
            models: models, quota: quota, protectedModels: protectedModels)
    }
}
