import Foundation
import Logging
import NIOCore
import NIOPosix
import QuotaControl
import QuotaCore
import QuotaRuntime
import QuotaState
import QuotaUpstream
import ServiceLifecycle
import Synchronization

/// The `quota-proxy` service: the HTTP endpoint, its routing state, batched persistence, account
/// file watching, anonymous minting, and the control commands.
public final class ProxyService: ManagedService {
    let context: ServiceRunner.Context
    let logger: Logger
    let catalog: AccountCatalog
    let group: any EventLoopGroup
    private let ownsGroup: Bool
    let pools: UpstreamPools
    let client: UpstreamHTTPClient
    let coordinator: RoutingCoordinator
    let minter: AnonymousMinter
    let projects: ProjectDiscovery
    let flusher: QuotaFlusher
    let requestLog: RequestLogFlusher
    let metrics: ProxyMetrics
    let warmups: WarmupExecutor
    let configuration: SharedConfiguration
    /// The open-file limit after raising the soft limit to the hard one.
    let openFiles: OpenFileLimit.Figures
    let connections: ClientConnectionLimit
    /// The dashboard and its admin API.
    let admin: AdminRouter
    /// Says where each account's requests go, once per account and change.
    let targetLog: AccountTargetLog
    private let boundAddress = Mutex<String?>(nil)

    /// How often live quota and cooldowns are written, and account files are checked for changes.
    static let flushInterval: Duration = .seconds(1)
    /// How often the request log buffers of the event loops are written: often enough that they
    /// stay small under load (a quarter of a second of requests), rarely enough to batch.
    static let requestLogInterval: Duration = .milliseconds(250)
    static let accountCheckInterval: Duration = .seconds(2)

    public init(context: ServiceRunner.Context) async throws {
        self.context = context
        self.logger = context.logger
        self.configuration = SharedConfiguration(context.configuration)
        let configuration = context.configuration
        if configuration.clientAPIKeys.contains("change-me") {
            // Anyone who has read the README knows this key: say so at every start, loudest off loopback.
            let reach = configuration.listensOnLoopbackOnly ? "every local user" : "anyone who can reach \(configuration.listen.host)"
            logger.warning(
                "the client key is the built-in placeholder \"change-me\", so \(reach) can use this proxy; set client_api_keys in \(context.configurationLoader.path) or API_TOKEN")
        }
        openFiles = OpenFileLimit.raiseSoftLimitToHard()
        // Derived again, and logged, once the listener is bound (run()).
        connections = ClientConnectionLimit(
            maximum: configuration.effectiveMaxConnections(derived: context.descriptors.budget.clientConnections),
            descriptors: context.descriptors)
        if let error = openFiles.raiseError, openFiles.soft < openFiles.hard {
            logger.warning(
                "could not raise the open-file limit from \(openFiles.soft) to \(openFiles.hard) (errno \(error)); set LimitNOFILE= of the unit to the limit wanted")
        }
        catalog = AccountCatalog(store: context.stateDirectory.accounts, logger: context.logger)
        targetLog = AccountTargetLog(logger: context.logger)
        targetLog.note(catalog.snapshot.accounts)
        // One event loop per core unless listen.threads says otherwise (e.g. 1 on a small machine
        // shared with other busy processes: fewer thread wake-ups, larger batches per loop).
        if configuration.listen.threads == 0 {
            group = MultiThreadedEventLoopGroup.singleton
            ownsGroup = false
        } else {
            group = MultiThreadedEventLoopGroup(numberOfThreads: configuration.listen.threads)
            ownsGroup = true
        }
        pools = UpstreamPools(group: group, configuration: UpstreamPoolConfiguration())
        client = UpstreamHTTPClient(pools: pools, group: group)

        var cooldowns = CooldownBook()
        do {
            if let restored = try context.stateDirectory.cooldowns.read() {
                cooldowns = restored
                cooldowns.prune(now: Date())
            }
        } catch {
            logger.error("\(error); starting without saved cooldowns")
        }
        let metrics = ProxyMetrics(connections: connections)
        self.metrics = metrics
        coordinator = try await RoutingCoordinator.make(
            group: group, pools: pools, settings: RoutingSettings(configuration: configuration),
            accounts: catalog.snapshot.accounts, cooldowns: cooldowns, metrics: metrics)
        let coordinator = self.coordinator
        let catalog = self.catalog
        let targetLog = self.targetLog
        minter = AnonymousMinter(
            configuration: configuration.anonymous, client: client, state: context.stateDirectory, logger: logger
        ) { _ in
            let changes = catalog.refresh()
            targetLog.note(changes.added + changes.updated, removed: changes.removed)
            coordinator.broadcast(.accountsChanged(AccountChanges(replacement: catalog.snapshot.accounts)))
        }
        let configurationBox = self.configuration
        projects = ProjectDiscovery(
            client: client, state: context.stateDirectory, logger: logger, defaults: { configurationBox.current.defaults(for: $0) }
        ) { account in
            // Every loop learns the project at once, whether or not the file could be written.
            catalog.refresh()
            coordinator.broadcast(.accountsChanged(AccountChanges(replacement: nil, updated: [account])))
        }
        flusher = QuotaFlusher(
            coordinator: coordinator, catalog: catalog, state: context.stateDirectory, logger: logger,
            evaluator: { ProtectionEvaluator(configuration: configurationBox.current) })
        let requestLog = RequestLogFlusher(
            coordinator: coordinator, state: context.stateDirectory, settings: configuration.requestLog, logger: logger)
        self.requestLog = requestLog
        warmups = WarmupExecutor(
            coordinator: coordinator, client: client, metrics: metrics, projects: projects,
            defaults: { configurationBox.current.defaults(for: $0) }
        ) { record in
            if configurationBox.current.requestLog.enabled { requestLog.add(record) }
        }
        admin = AdminRouter(
            settings: Self.adminSettings(configuration, path: context.configurationLoader.path, logger: logger),
            api: AdminAPI(runtime: context.runtimeDirectory, state: context.stateDirectory, configuration: configurationBox))
    }

    /// The admin router's settings, with the dashboard's files read now (at start and on reload).
    static func adminSettings(_ configuration: QuotaProxyConfiguration, path: String, logger: Logger) -> AdminRouter.Settings {
        let assets =
            configuration.dashboard.enabled
            ? DashboardAssets.load(configured: configuration.dashboard.assetsDirectory)
            : DashboardAssets(directory: nil, contents: [:], problem: nil)
        if configuration.dashboard.enabled {
            if let problem = assets.problem {
                logger.warning("dashboard: \(problem)")
            } else if configuration.adminAPIKeys.isEmpty {
                logger.notice("dashboard: /dashboard/ is served from \(assets.directory ?? "?"), but no admin_api_keys are set, so its admin API answers 403 until one is")
            } else {
                logger.info("dashboard: /dashboard/ is served from \(assets.directory ?? "?") (\(configuration.adminAPIKeys.count) admin key(s))")
            }
        }
        return AdminRouter.Settings(configuration: configuration, configurationPath: path, assets: assets)
    }

    // MARK: - Running

    public func run(ready: @escaping @Sendable () async -> Void) async throws {
        let configuration = self.configuration.current
        let hooks = makeHooks()
        let coordinator = self.coordinator
        let server = ProxyHTTPServer(
            host: configuration.listen.host, port: configuration.listen.port, group: group, logger: logger, limit: connections
        ) {
            ProxyRequestHandler(coordinator: coordinator, hooks: hooks)
        }
        let listener: any Channel
        do {
            listener = try await server.bind()
        } catch {
            throw ProxyServiceError.cannotListen(host: configuration.listen.host, port: configuration.listen.port, reason: "\(error)")
        }
        shareOutDescriptors(configuration)
        let address = "\(configuration.listen.host):\(listener.localAddress?.port ?? configuration.listen.port)"
        boundAddress.withLock { $0 = address }
        logger.info("listening on http://\(address) with \(catalog.summary)")
        await ready()

        await withTaskGroup(of: Void.self) { tasks in
            tasks.addTask { [flusher] in
                await runPeriodically(every: { Self.flushInterval }) { await flusher.flush() }
            }
            tasks.addTask { [requestLog] in
                await runPeriodically(every: { Self.requestLogInterval }) { await requestLog.flush() }
            }
            tasks.addTask { [self] in
                await runPeriodically(every: { Self.accountCheckInterval }) { self.reloadAccounts() }
            }
            tasks.addTask {
                // Waits for SIGTERM, then drains the listener while the loops above finish.
                try? await gracefulShutdown()
                await server.shutDown(listener: listener)
            }
        }
        let written = await flusher.flush()
        let logged = await requestLog.flush(sync: true)
        logger.info("saved live quota of \(written) account(s) and \(logged) request log record(s) on shutdown")
        await pools.shutdown()
        if ownsGroup {
            try? await group.shutdownGracefully()
        }
    }

    /// Counts the descriptors in use now that the listener, the event loops and the state files
    /// are open, derives `listen.max_connections` from what they and the reserve leave, and logs
    /// the figures in one line.
    private func shareOutDescriptors(_ configuration: QuotaProxyConfiguration) {
        context.descriptors.measure()
        let budget = context.descriptors.budget
        connections.setMaximum(configuration.effectiveMaxConnections(derived: budget.clientConnections))
        let raised = openFiles.soft > openFiles.before ? " (raised from \(openFiles.before))" : ""
        let derived = configuration.listen.maxConnections == 0 ? ", derived" : ""
        logger.info(
            "open-file limit \(openFiles.soft)\(raised) of hard limit \(openFiles.hard), \(budget.inUse) in use, \(budget.reserve) kept in reserve; up to \(budget.controlConnections) control and \(connections.maximum) client connections (listen.max_connections\(derived)), each client counted for \(DescriptorBudget.clientConnectionWeight) descriptors"
        )
        Self.warnIfOverLimit(configuration, budget: budget, logger: logger)
    }

    private func makeHooks() -> ProxyHooks {
        let runtime = context.runtimeDirectory
        let logger = self.logger
        let minter = self.minter
        let projects = self.projects
        let admin = self.admin
        return ProxyHooks(
            logger: logger,
            authFailed: { accountID in
                Task {
                    let client = ControlClient(path: runtime.socketPath(for: .refresher))
                    do {
                        _ = try await client.send("refresh", arguments: ["account": .string(accountID), "reason": "auth_failure"])
                    } catch {
                        logger.warning(
                            "upstream refused the credentials of \(accountID); could not ask the refresher to renew them: \(error)",
                            metadata: ["account": "\(accountID)"])
                    }
                }
            },
            mintFallback: { provider, eventLoop in
                eventLoop.makeFutureWithTask { await minter.mint(provider: provider) }
            },
            discoverProject: { account, eventLoop in
                eventLoop.makeFutureWithTask { await projects.project(for: account) }
            },
            admin: admin
        )
    }

    /// Picks up account files added, changed or removed by other processes.
    @discardableResult
    func reloadAccounts() -> AccountCatalog.Changes {
        let changes = catalog.refresh()
        guard !changes.isEmpty else { return changes }
        targetLog.note(changes.added + changes.updated, removed: changes.removed)
        if changes.membershipChanged {
            coordinator.broadcast(.accountsChanged(AccountChanges(replacement: catalog.snapshot.accounts)))
            if changes.added.count + changes.removed.count >= 100 { MemoryTuning.releaseFreeMemory() }
        } else {
            coordinator.broadcast(.accountsChanged(AccountChanges(replacement: nil, updated: changes.updated)))
        }
        logger.info(
            "accounts reloaded: \(changes.added.count) added, \(changes.updated.count) changed, \(changes.removed.count) removed; \(catalog.summary)")
        return changes
    }

    public func reload(configuration: QuotaProxyConfiguration) async throws {
        let old = self.configuration.current
        if old.listen.host != configuration.listen.host || old.listen.port != configuration.listen.port {
            logger.warning(
                "listen address changes (\(old.listen.host):\(old.listen.port) → \(configuration.listen.host):\(configuration.listen.port)) take effect on restart")
        }
        self.configuration.replace(with: configuration)
        coordinator.broadcast(.settingsChanged(RoutingSettings(configuration: configuration)))
        let budget = context.descriptors.budget
        let maximum = configuration.effectiveMaxConnections(derived: budget.clientConnections)
        if maximum != connections.maximum {
            logger.info("listen.max_connections changes (\(connections.maximum) → \(maximum))")
            connections.setMaximum(maximum)
            Self.warnIfOverLimit(configuration, budget: budget, logger: logger)
        }
        await minter.reconfigure(configuration.anonymous)
        requestLog.reconfigure(configuration.requestLog)
        admin.reconfigure(Self.adminSettings(configuration, path: context.configurationLoader.path, logger: logger))
        if old.listen.threads != configuration.listen.threads {
            logger.warning("listen.threads changes (\(old.listen.threads) → \(configuration.listen.threads)) take effect on restart")
        }
    }

    /// A `listen.max_connections` the descriptors cannot carry (each proxied request also holds an
    /// upstream connection) is kept, with a warning; connections that would take the descriptor
    /// reserve are closed at once all the same (``DescriptorLedger``).
    private static func warnIfOverLimit(_ configuration: QuotaProxyConfiguration, budget: DescriptorBudget, logger: Logger) {
        if configuration.listen.maxConnections > budget.clientConnections {
            logger.warning(
                "listen.max_connections (\(configuration.listen.maxConnections)) is more than the open-file limit carries (about \(budget.clientConnections): \(budget), \(budget.controlConnections) for the control socket, the rest halved since each proxied request also holds an upstream connection); connections beyond that are closed as soon as they are accepted; raise LimitNOFILE= of the unit")
        }
    }

    // MARK: - Status and control

    public func statusLine() async -> String {
        let address = boundAddress.withLock { $0 } ?? "not listening yet"
        let counters = await coordinator.collect { $0.counters }
        let requests = counters.reduce(0) { $0 + $1.requests }
        return "listening on \(address), \(catalog.summary), \(requests) requests served"
    }

    public func statusDetails() async -> [String: JSONValue] {
        let counters = await coordinator.collect { $0.counters }
        let active = (try? await coordinator.withFirst { $0.cooldowns.activeEntries(now: Date()).count }) ?? 0
        return [
            "listen": .string(boundAddress.withLock { $0 } ?? ""),
            "accounts": .number(Double(catalog.snapshot.accounts.count)),
            "skipped_files": .number(Double(catalog.snapshot.problems.count)),
            "requests": .number(Double(counters.reduce(0) { $0 + $1.requests })),
            "succeeded": .number(Double(counters.reduce(0) { $0 + $1.succeeded })),
            "failovers": .number(Double(counters.reduce(0) { $0 + $1.failedOver })),
            "rejected": .number(Double(counters.reduce(0) { $0 + $1.rejected })),
            "connections": .number(Double(connections.openCount)),
            "max_connections": .number(Double(connections.maximum)),
            "connections_refused": .number(Double(connections.refusedCount)),
            "accept_failures": .number(Double(connections.acceptFailureCount)),
            "open_file_limit": .number(Double(openFiles.soft)),
            "connections_refused_for_reserve": .number(Double(connections.refusedForReserveCount)),
            "cooldowns_active": .number(Double(active)),
            "event_loops": .number(Double(coordinator.eventLoops.count)),
        ]
    }

    public func registerCommands(into router: inout ControlCommandRouter) {
        ProxyControlCommands(service: self).register(into: &router)
    }
}

/// Why the proxy could not start.
enum ProxyServiceError: Error, CustomStringConvertible {
    case cannotListen(host: String, port: Int, reason: String)

    var description: String {
        switch self {
        case .cannotListen(let host, let port, let reason):
            "cannot listen on \(host):\(port) (listen.host / listen.port): \(reason)"
        }
    }
}
