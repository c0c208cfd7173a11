import Foundation
import Logging
import QuotaControl
import QuotaCore
import QuotaState
import QuotaSystemd
import ServiceLifecycle
import UnixSignals

/// Runs one of the three services the same way: logging, configuration, state folder, control
/// socket, systemd readiness and watchdog, SIGHUP reload, SIGTERM graceful shutdown.
///
/// Order of events: configuration and state are loaded, the control socket and the service's
/// work start, and `READY=1` with a `STATUS=` line is sent once both are up. SIGTERM sends
/// `STOPPING=1`, lets work in progress finish, removes the socket and exits 0. SIGHUP sends
/// `RELOADING=1`, re-reads the configuration and answers `READY=1` (keeping the old
/// configuration, and saying why, when the new one is invalid).
public struct ServiceRunner: Sendable {
    /// Everything a service needs to build itself.
    public struct Context: Sendable {
        public var identity: ServiceIdentity
        public var configuration: QuotaProxyConfiguration
        public var configurationLoader: ConfigurationLoader
        public var stateDirectory: StateDirectory
        public var runtimeDirectory: RuntimeDirectory
        public var logger: Logger
        /// For services that update their `STATUS=` line as they work.
        public var notifier: SystemdNotifier
        /// The descriptors its listeners' connections hold, shared by the control socket and the
        /// service's own listeners, so together they leave the reserve alone.
        public var descriptors: DescriptorLedger
    }

    let identity: ServiceIdentity
    let options: ServiceOptions
    let environment: [String: String]

    public init(identity: ServiceIdentity, options: ServiceOptions, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.identity = identity
        self.options = options
        self.environment = environment
    }

    /// Prepares the context, builds the service with `makeService` and runs it until shutdown.
    /// Start-up problems (bad configuration, unusable state folder) are logged in one line naming
    /// the file and key, and end the process with exit code 1.
    public func run(_ makeService: (Context) async throws -> any ManagedService) async throws {
        MemoryTuning.apply()
        LoggingSetup.bootstrap(identifier: identity.rawValue, level: options.resolvedLogLevel(environment: environment))
        let logger = Logger(label: identity.rawValue)
        let notifier = SystemdNotifier()

        let loader = ConfigurationLoader(flag: options.config, environment: environment)
        let configuration: QuotaProxyConfiguration
        do {
            configuration = try loader.load()
        } catch {
            Self.fail(logger, "cannot start: \(error)", notifier: notifier)
        }
        let stateDirectory = StateDirectory.resolve(flag: options.stateDir, environment: environment)
        do {
            try stateDirectory.prepare()
        } catch {
            Self.fail(logger, "cannot start: \(error)", notifier: notifier)
        }
        Self.removeStaleTemporaryFiles(of: stateDirectory, logger: logger)
        let runtimeDirectory = RuntimeDirectory.resolve(flag: options.runtimeDir, environment: environment)
        if mkdir(runtimeDirectory.path, 0o750) != 0 && errno != EEXIST {
            Self.fail(
                logger, "cannot start: cannot create runtime folder \(runtimeDirectory.path): \(String(cString: strerror(errno)))",
                notifier: notifier)
        }
        let descriptors = DescriptorLedger()
        let context = Context(
            identity: identity, configuration: configuration, configurationLoader: loader,
            stateDirectory: stateDirectory, runtimeDirectory: runtimeDirectory, logger: logger, notifier: notifier,
            descriptors: descriptors)

        let service: any ManagedService
        do {
            service = try await makeService(context)
        } catch {
            Self.fail(logger, "cannot start: \(error)", notifier: notifier)
        }
        // Reading the state (thousands of account files, perhaps) left freed memory behind.
        MemoryTuning.releaseFreeMemory()

        let started = ContinuousClock.now
        let socketPath = runtimeDirectory.socketPath(for: identity)
        // Made after the service, which may have raised the open-file limit.
        let controlConnections = descriptors.budget.controlConnections
        let gate = ReadinessGate(parts: ["control-socket", "service"]) {
            // Everything that stays open is open now: count it for the descriptor budget.
            descriptors.measure()
            let line = await service.statusLine()
            notifier.ready(status: line)
            logger.info(
                "ready: \(line); \(descriptors.budget), up to \(controlConnections) control connections",
                metadata: ["socket": "\(socketPath)", "config": "\(loader.path)"])
        }

        var router = ControlCommandRouter()
        service.registerCommands(into: &router)
        let identity = self.identity
        let acceptFailures = AcceptFailureCounter()
        router.register("status", summary: "service state, version, uptime and details") { _ in
            var result: [String: JSONValue] = [
                "service": .string(identity.rawValue),
                "pid": .number(Double(getpid())),
                "version": .string(QuotaProxyVersion.current),
                "uptime_seconds": .number(Double((ContinuousClock.now - started).components.seconds)),
                "ready": .bool(gate.isReady),
                "status": .string(await service.statusLine()),
                "config_file": .string(loader.path),
                "state_dir": .string(stateDirectory.path),
                "control_accept_failures": .number(Double(acceptFailures.count)),
                "descriptors": Self.descriptorDetails(descriptors, controlConnections: controlConnections),
            ]
            result["details"] = .object(await service.statusDetails())
            return .object(result)
        }

        let controlSocket = ControlSocketServer(
            path: socketPath, router: router, acceptFailures: acceptFailures, maximumConnections: controlConnections,
            descriptors: descriptors, logger: logger
        ) {
            await gate.markReady("control-socket")
        }
        let work = ServiceWork(service: service, gate: gate)
        let reloader = ReloadOnHangupService(service: service, loader: loader, notifier: notifier, logger: logger)
        let stopping = StoppingNotifierService(notifier: notifier, logger: logger)
        let watchdog = WatchdogService(notifier: notifier, logger: logger)

        // ServiceGroup shuts services down last-to-first: STOPPING=1 goes out first, the work
        // finishes next, and the control socket closes last.
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    .init(service: controlSocket),
                    .init(service: work),
                    .init(service: watchdog, successTerminationBehavior: .ignore),
                    .init(service: reloader),
                    .init(service: stopping, successTerminationBehavior: .ignore),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        do {
            try await group.run()
        } catch {
            logger.error("stopped after an error: \(error)")
            notifier.stopping(status: "Failed: \(error)")
            throw ExitCode.failure
        }
        logger.info("stopped")
    }

    /// The `descriptors` object of `status`: the budget in force and what the connections hold.
    static func descriptorDetails(_ descriptors: DescriptorLedger, controlConnections: Int) -> JSONValue {
        let budget = descriptors.budget
        return [
            "limit": .number(Double(budget.limit)),
            "in_use_besides_connections": .number(Double(budget.inUse)),
            "reserve": .number(Double(budget.reserve)),
            "held_by_connections": .number(Double(descriptors.heldCount)),
            "refused_connections": .number(Double(descriptors.refusedCount)),
            "max_control_connections": .number(Double(controlConnections)),
        ]
    }

    /// Deletes temporary files that writers killed mid-write left behind, one line each.
    static func removeStaleTemporaryFiles(of stateDirectory: StateDirectory, logger: Logger) {
        for stale in stateDirectory.removeStaleTemporaryFiles() {
            if let failure = stale.failure {
                logger.warning(
                    "cannot remove \(stale.path), a temporary file left by a writer that was killed (pid \(stale.writer)): \(failure)",
                    metadata: ["file": "\(stale.path)"])
            } else {
                logger.notice(
                    "removed \(stale.path), a temporary file left by a writer that was killed (pid \(stale.writer)); the real file was not affected",
                    metadata: ["file": "\(stale.path)"])
            }
        }
    }

    static func fail(_ logger: Logger, _ message: String, notifier: SystemdNotifier) -> Never {
        logger.critical("\(message)")
        notifier.status(message)
        exit(1)
    }
}

/// Runs the service's own work and reports its readiness to the gate.
struct ServiceWork: Service {
    let service: any ManagedService
    let gate: ReadinessGate

    func run() async throws {
        try await service.run { await gate.markReady("service") }
    }
}

/// Sends `STOPPING=1` as soon as graceful shutdown begins.
struct StoppingNotifierService: Service {
    let notifier: SystemdNotifier
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        logger.info("shutting down: finishing work in progress")
        notifier.stopping()
    }
}

/// Re-reads the configuration on SIGHUP (`systemctl reload`).
struct ReloadOnHangupService: Service {
    let service: any ManagedService
    let loader: ConfigurationLoader
    let notifier: SystemdNotifier
    let logger: Logger

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            notifier.reloading()
            do {
                let configuration = try loader.load()
                try await service.reload(configuration: configuration)
                let line = await service.statusLine()
                logger.info("configuration reloaded from \(loader.path)")
                notifier.ready(status: line)
            } catch {
                logger.error("reload failed, keeping the previous configuration: \(error)")
                notifier.ready(status: "reload failed, previous configuration kept: \(error)")
            }
        }
    }
}

import Glibc
import ArgumentParser
