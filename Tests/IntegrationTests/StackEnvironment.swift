import AsyncHTTPClient
import Foundation
import Glibc
import Logging
import NIOCore
import NIOHTTP1
import QuotaControl
import QuotaCore
import QuotaState
import QuotaTestSupport
import Testing
import UpstreamSimulator

/// Any of the three services as real processes, in front of an in-process upstream simulator,
/// sharing one temporary state folder (for refresher and scheduler tests).
final class StackEnvironment: Sendable {
    let dir: TemporaryDirectory
    let statePath: String
    let runtimePath: String
    let simulatorState: SimulatorState
    let simulatorURL: String
    let processes: [String: ServiceProcess]
    let listeners: [NotifySocketListener]
    private let simulatorTask: Task<Void, any Error>

    var state: StateDirectory { StateDirectory(path: statePath) }

    func control(_ service: String) -> ControlClient {
        ControlClient(path: runtimePath + "/" + service + ".sock")
    }

    /// `accounts` and `config` may use "{{SIM}}" for the simulator's base URL.
    static func start(
        simulator: SimulatorConfiguration, services: [String], config: String = "{}", accounts: (String) -> [Account]
    ) async throws -> StackEnvironment {
        let state = try SimulatorState(configuration: simulator)
        let (port, task) = await ProxyEnvironment.startSimulator(state)
        return try await StackEnvironment(
            simulatorState: state, simulatorURL: "http://127.0.0.1:\(port)", task: task, services: services, config: config,
            accounts: accounts("http://127.0.0.1:\(port)"))
    }

    private init(
        simulatorState: SimulatorState, simulatorURL: String, task: Task<Void, any Error>, services: [String], config: String,
        accounts: [Account]
    ) async throws {
        self.simulatorState = simulatorState
        self.simulatorURL = simulatorURL
        self.simulatorTask = task
        dir = try TemporaryDirectory()
        statePath = try dir.subdirectory("state")
        runtimePath = try dir.subdirectory("run")
        _ = try dir.subdirectory("state/accounts")
        let configPath = dir.path + "/config.json"
        try Data(config.replacingOccurrences(of: "{{SIM}}", with: simulatorURL).utf8).write(to: URL(fileURLWithPath: configPath))
        for account in accounts { try ProxyEnvironment.write(account, to: statePath) }
        var processes: [String: ServiceProcess] = [:]
        var listeners: [NotifySocketListener] = []
        for service in services {
            let notifyDir = try dir.subdirectory("notify-" + service)
            let notify = try NotifySocketListener(directory: notifyDir)
            listeners.append(notify)
            processes[service] = try ServiceProcess(
                "quota-" + service,
                arguments: ["--config", configPath, "--state-dir", statePath, "--runtime-dir", runtimePath, "--log-level", "debug"],
                environment: ["NOTIFY_SOCKET": notify.path], logDirectory: dir.path)
            guard await notify.waitFor("READY=1") != nil else {
                throw ProxyEnvironment.EnvironmentError.notReady(processes[service]!.standardError)
            }
        }
        self.processes = processes
        self.listeners = listeners
    }

    /// POSTs to the running proxy (started with `"listen": {"port": 0}`) with client key `key`.
    func post(_ path: String, body: String, key: String = "stack-key") async throws -> ProxyEnvironment.Answer {
        let status = try await control("proxy").send("status")
        guard let listen = status["details"]?["listen"]?.stringValue else { throw ProxyEnvironment.EnvironmentError.notReady("\(status)") }
        var request = HTTPClientRequest(url: "http://" + listen + path)
        request.method = .POST
        request.headers.add(name: "authorization", value: "Bearer \(key)")
        request.headers.add(name: "content-type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return ProxyEnvironment.Answer(status: Int(response.status.code), headers: response.headers, body: String(buffer: bytes))
    }

    func account(_ id: String) throws -> Account? {
        try state.accounts.file(for: id).read()
    }

    func log(_ service: String) -> String {
        processes[service]?.standardError ?? ""
    }

    /// Polls every 20 ms until `condition` holds or `timeout` passes.
    func eventually(timeout: Duration = .seconds(15), _ condition: () async throws -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? await condition()) == true { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return (try? await condition()) == true
    }

    func stop() async {
        for (name, process) in processes {
            process.signal(SIGTERM)
            let status = await process.waitForExit()
            #expect(status == 0, "\(name) exit status; log:\n\(process.standardError.suffix(2000))")
        }
        simulatorTask.cancel()
        _ = await simulatorTask.result
        for listener in listeners { listener.stop() }
        dir.remove()
    }
}
