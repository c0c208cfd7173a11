import Foundation
import Logging
import NIOCore
import NIOHTTP1
import QuotaCore
import QuotaRuntime
import QuotaState
import QuotaUpstream

/// Finds the Code Assist project of `gemini-code-assist` accounts on their first use
/// (``CodeAssistProject``), saves it in the account file (`project_id`) and hands the updated
/// account to every event loop. One discovery per account at a time: requests that need the same
/// account meanwhile wait for the same answer.
actor ProjectDiscovery {
    private let client: UpstreamHTTPClient
    private let state: StateDirectory
    private let logger: Logger
    private let onDiscovered: @Sendable (Account) async -> Void
    /// The `providers.<name>` defaults in force now (they change on a configuration reload).
    private let defaults: @Sendable (Provider) -> ProviderDefaults
    private var inFlight: [String: Task<Result<String, DiscoveryError>, Never>] = [:]

    /// Why an account has no project, for the client's error and the logs.
    struct DiscoveryError: Error, CustomStringConvertible {
        var description: String
    }

    init(
        client: UpstreamHTTPClient, state: StateDirectory, logger: Logger,
        defaults: @escaping @Sendable (Provider) -> ProviderDefaults = { _ in ProviderDefaults() },
        onDiscovered: @escaping @Sendable (Account) async -> Void
    ) {
        self.client = client
        self.defaults = defaults
        self.state = state
        self.logger = logger
        self.onDiscovered = onDiscovered
    }

    /// The project of `account` (discovered now, or by a discovery already under way).
    func project(for account: Account) async -> Result<String, DiscoveryError> {
        if let project = account.projectID { return .success(project) }
        if let running = inFlight[account.id] { return await running.value }
        let task = Task { await discover(account) }
        inFlight[account.id] = task
        let result = await task.value
        inFlight[account.id] = nil
        return result
    }

    private func discover(_ account: Account) async -> Result<String, DiscoveryError> {
        let dialect = GeminiCodeAssistDialect()
        var problems: [String] = []
        let extraHeaders = defaults(account.provider).headers(for: account.extraHeaders)
        // Base URLs in order; the next on a connection error, 5xx or 404 (SPEC 2.7).
        for baseURL in account.allBaseURLs {
            guard let origin = UpstreamOrigin(url: baseURL) else {
                problems.append("\(baseURL): not a usable URL")
                continue
            }
            var headers = HTTPHeaders()
            headers.add(name: "content-type", value: "application/json")
            let credential = dialect.credentialHeader(account.credentials)
            headers.add(name: credential.name, value: credential.value)
            for (name, value) in extraHeaders { headers.add(name: name, value: value) }
            let path = dialect.methodPath(CodeAssistProject.method, apiRoot: dialect.apiRoot(basePath: origin.basePath))
            let request = UpstreamRequest(
                origin: origin, head: HTTPRequestHead(version: .http1_1, method: .POST, uri: path, headers: headers),
                body: ByteBuffer(bytes: CodeAssistProject.requestBody))
            let response: UpstreamResponse
            do {
                response = try await client.send(request, maxBodyBytes: 1 << 20)
            } catch {
                problems.append("\(baseURL): \(error)")
                continue
            }
            let status = Int(response.status.code)
            if status >= 500 || status == 404 {
                problems.append("\(baseURL): HTTP \(status)")
                continue
            }
            guard (200..<300).contains(status) else {
                return .failure(DiscoveryError(description: "loadCodeAssist for \(account.id) answered HTTP \(status)"))
            }
            switch CodeAssistProject.parse(Array(response.body.readableBytesView)) {
            case .failure(let problem):
                return .failure(DiscoveryError(description: "\(account.id): \(problem)"))
            case .success(let project):
                await save(project, for: account)
                return .success(project)
            }
        }
        return .failure(
            DiscoveryError(description: "loadCodeAssist for \(account.id) failed on every base URL: " + problems.joined(separator: "; ")))
    }

    /// Writes `project_id` into the account file (read-modify-write under the state lock) and
    /// hands the updated account on; a failed write still serves the account from memory.
    private func save(_ project: String, for account: Account) async {
        var updated = account
        updated.projectID = project
        do {
            if let saved = try state.accounts.update(id: account.id, { $0.projectID = project }) {
                updated = saved
            }
            logger.notice(
                "discovered Code Assist project \(project) for \(account.id) and saved it in its account file",
                metadata: ["account": "\(account.id)"])
        } catch {
            logger.error(
                "discovered Code Assist project \(project) for \(account.id) but cannot save it: \(error)",
                metadata: ["account": "\(account.id)"])
        }
        await onDiscovered(updated)
    }
}
