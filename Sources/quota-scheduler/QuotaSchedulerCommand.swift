import ArgumentParser
import QuotaScheduler
import QuotaRuntime

@main
struct QuotaSchedulerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quota-scheduler",
        abstract: "Smart Warmup: every 10 minutes, starts the refill clock of windowed quota that is back at 100%.",
        discussion: ServiceHelp.discussion(for: .scheduler),
        version: QuotaProxyVersion.current
    )

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        try await ServiceRunner(identity: .scheduler, options: options).run { context in
            SchedulerService(context: context)
        }
    }
}
