import Logging
import QuotaControl
import QuotaCore
import QuotaRuntime
import QuotaState

/// The `quota-refresher` service.
public struct RefresherService: ManagedService {
    let context: ServiceRunner.Context
    let catalog: AccountCatalog

    public init(context: ServiceRunner.Context) {
        self.context = context
        self.catalog = AccountCatalog(store: context.stateDirectory.accounts, logger: context.logger)
    }

    public func registerCommands(into router: inout ControlCommandRouter) {
        let catalog = self.catalog
        router.register("reload", summary: "re-read the account files now") { _ in
            let snapshot = catalog.reload()
            return ["accounts": .number(Double(snapshot.accounts.count)), "skipped_files": .number(Double(snapshot.problems.count))]
        }
        router.register("accounts", summary: "the accounts, secrets masked") { _ in
            catalog.maskedListing()
        }
    }

    public func run(ready: @escaping @Sendable () async -> Void) async throws {
        await ready()
        let catalog = self.catalog
        await runPeriodically(every: { .seconds(2) }) {
            _ = catalog.reloadIfChanged()
        }
    }

    public func reload(configuration: QuotaProxyConfiguration) async throws {}

    public func statusLine() async -> String {
        catalog.summary
    }

    public func statusDetails() async -> [String: JSONValue] {
        ["accounts": .number(Double(catalog.snapshot.accounts.count))]
    }
}
