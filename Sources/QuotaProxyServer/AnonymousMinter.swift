import Foundation
import Logging
import NIOCore
import NIOHTTP1
import QuotaCore
import QuotaState
import QuotaUpstream

/// Obtains anonymous fallback credentials from `anonymous.mint_url` (SPEC 2.2), within the limits
/// persisted in `anonymous.json`: never within 5 minutes of the last attempt, never within an hour
/// of a 429 from the mint endpoint; a success clears both.
actor AnonymousMinter {
    private var configuration: QuotaProxyConfiguration.Anonymous
    private var limiter: MintLimiter
    private let client: UpstreamHTTPClient
    private let state: StateDirectory
    private let logger: Logger
    private let onMinted: @Sendable (Account) async -> Void

    init(
        configuration: QuotaProxyConfiguration.Anonymous, client: UpstreamHTTPClient, state: StateDirectory, logger: Logger,
        onMinted: @escaping @Sendable (Account) async -> Void
    ) {
        self.configuration = configuration
        self.client = client
        self.state = state
        self.logger = logger
        self.onMinted = onMinted
        var saved = AnonymousMintState()
        do {
            saved = try state.anonymous.read() ?? AnonymousMintState()
        } catch {
            logger.error("\(error); starting without mint history")
        }
        self.limiter = MintLimiter(configuration: configuration, state: saved)
    }

    func reconfigure(_ configuration: QuotaProxyConfiguration.Anonymous) {
        self.configuration = configuration
        self.limiter = MintLimiter(configuration: configuration, state: limiter.state)
    }

    var mintState: AnonymousMintState { limiter.state }

    /// Tries to mint a fallback credential for `provider`; `true` when a new account was added.
    func mint(provider: Provider) async -> Bool {
        guard let mintURL = configuration.mintURL, let origin = UpstreamOrigin(url: mintURL) else { return false }
        let now = Date()
        if case .wait(let until, let reason) = limiter.decision(now: now) {
            logger.debug("not minting an anonymous credential before \(Timestamp.format(until)): \(reason)")
            return false
        }
        limiter.recordAttempt(now: now)
        persist()
        let path = URL(string: mintURL)?.path ?? "/"
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "accept", value: "application/json")
        let request = UpstreamRequest(
            origin: origin, head: HTTPRequestHead(version: .http1_1, method: .POST, uri: path.isEmpty ? "/" : path, headers: headers),
            body: ByteBuffer(string: "{}"))
        let response: UpstreamResponse
        do {
            response = try await client.send(request, maxBodyBytes: 64 << 10)
        } catch {
            logger.warning("anonymous mint failed: \(error)")
            return false
        }
        if response.status.code == 429 {
            limiter.recordRateLimited(now: Date())
            persist()
            logger.warning(
                "anonymous mint endpoint answered 429; no new attempt for \(configuration.cooldownAfter429Seconds) s")
            return false
        }
        guard (200..<300).contains(response.status.code),
            let minted = try? JSONDecoder().decode(MintedCredential.self, from: Data(buffer: response.body)),
            !minted.apiKey.isEmpty
        else {
            logger.warning("anonymous mint endpoint answered HTTP \(response.status.code) without a usable api_key")
            return false
        }
        var suffix = ""
        for _ in 0..<8 { suffix.append("0123456789abcdef".randomElement()!) }
        let account = Account(
            id: "anon-" + suffix, label: "anonymous (minted \(Timestamp.format(Date())))",
            provider: minted.provider.flatMap(Provider.init(rawValue:)) ?? provider,
            baseURL: minted.baseURL ?? "\(origin.scheme.rawValue)://\(origin.host):\(origin.port)",
            tier: .fallback, credentials: .apiKey(minted.apiKey), models: minted.models?.isEmpty == false ? minted.models : nil)
        do {
            try state.accounts.save(account)
        } catch {
            logger.error("minted an anonymous credential but cannot save it: \(error)")
            return false
        }
        limiter.recordSuccess()
        persist()
        logger.notice("minted anonymous fallback account \(account.id) (\(account.credentials.masked))", metadata: ["account": "\(account.id)"])
        await onMinted(account)
        return true
    }

    private func persist() {
        do {
            try state.anonymous.write(limiter.state)
        } catch {
            logger.error("cannot save the anonymous mint limits: \(error)")
        }
    }

    struct MintedCredential: Decodable {
        var apiKey: String
        var baseURL: String?
        var provider: String?
        var models: [String]?

        enum CodingKeys: String, CodingKey {
            case apiKey = "api_key"
            case baseURL = "base_url"
            case provider, models
        }
    }
}

import NIOFoundationCompat
