import ArgumentParser
import QuotaRefresher
import QuotaRuntime

@main
struct QuotaRefresherCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quota-refresher",
        abstract: "Keeps quota figures and OAuth tokens current and applies Quota Protection.",
        discussion: ServiceHelp.discussion(for: .refresher),
        version: QuotaProxyVersion.current
    )

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        try await ServiceRunner(identity: .refresher, options: options).run { context in
            RefresherService(context: context)
        }
    }
}
