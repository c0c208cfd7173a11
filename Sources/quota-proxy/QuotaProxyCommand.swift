import ArgumentParser
import QuotaProxyServer
import QuotaRuntime

@main
struct QuotaProxyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quota-proxy",
        abstract: "The HTTP proxy: pools upstream LLM accounts behind one OpenAI- and Anthropic-compatible endpoint.",
        discussion: ServiceHelp.discussion(for: .proxy),
        version: QuotaProxyVersion.current
    )

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        try await ServiceRunner(identity: .proxy, options: options).run { context in
            try await ProxyService(context: context)
        }
    }
}
