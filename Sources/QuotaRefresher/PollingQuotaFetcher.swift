import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import QuotaCore
import QuotaUpstream

/// Polls a quota endpoint with the account's credential: the Antigravity-shaped
/// `POST {url}/v1internal:fetchAvailableModels`, a generic `quota_url` answering
/// `{"models":[{"name","percentage"|"remaining_fraction","reset_time"}]}`, Claude's
/// `GET {url}/api/oauth/usage` or Codex's `GET {url}/backend-api/wham/usage`.
struct PollingQuotaFetcher: QuotaFetcher {
    let client: UpstreamHTTPClient

    func fetch(_ account: Account, now: Date) async -> QuotaFetchResult {
        guard let url = account.quotaSource.url, let origin = UpstreamOrigin(url: url) else {
            return .malformed("quota_source.url of \(account.id) is not a usable URL")
        }
        var headers = HTTPHeaders()
        headers.add(name: "authorization", value: "Bearer " + account.credentials.bearerSecret)
        headers.add(name: "accept", value: "application/json")
        // Headers the operator says the upstream requires (e.g. a User-Agent), as on proxied requests.
        for (name, value) in account.extraHeaders.sorted(by: { $0.key < $1.key }) { headers.replaceOrAdd(name: name, value: value) }
        let head: HTTPRequestHead
        var body: ByteBuffer?
        switch account.quotaSource.kind {
        case .antigravity:
            headers.add(name: "content-type", value: "application/json")
            head = HTTPRequestHead(version: .http1_1, method: .POST, uri: origin.basePath + "/v1internal:fetchAvailableModels", headers: headers)
            // The discovered Code Assist project, when there is one (SPEC 2.7).
            body = ByteBuffer(string: account.projectID.map { #"{"project":"\#(ClientErrorBody.escape($0))"}"# } ?? "{}")
        case .quotaURL:
            let query = URLComponents(string: url)?.percentEncodedQuery.map { "?" + $0 } ?? ""
            head = HTTPRequestHead(version: .http1_1, method: .GET, uri: (origin.basePath.isEmpty ? "/" : origin.basePath) + query, headers: headers)
        case .anthropicUsage:
            headers.add(name: "anthropic-beta", value: "oauth-2025-04-20")
            head = HTTPRequestHead(version: .http1_1, method: .GET, uri: origin.basePath + "/api/oauth/usage", headers: headers)
        case .codexUsage:
            head = HTTPRequestHead(version: .http1_1, method: .GET, uri: origin.basePath + "/backend-api/wham/usage", headers: headers)
        case .headers:
            return .passive
        }
        let response: UpstreamResponse
        do {
            response = try await client.send(
                UpstreamRequest(origin: origin, head: head, body: body, timeouts: UpstreamTimeouts(connect: .seconds(5), responseHead: .seconds(30), idle: .seconds(30))),
                maxBodyBytes: 4 << 20)
        } catch {
            return .transientFailure("\(error)")
        }
        switch response.status.code {
        case 200..<300:
            switch QuotaSnapshotParser.parseWindows(Data(buffer: response.body), kind: account.quotaSource.kind, now: now) {
            case .success(let windows):
                let renames =
                    account.quotaSource.kind == .antigravity
                    ? QuotaSnapshotParser.parseModelRenames(Data(buffer: response.body)) : nil
                return .windows(windows, renames: renames)
            case .failure(let error): return .malformed(error.description)
            }
        case 401:
            return .unauthorized
        case 403:
            return .forbidden
        default:
            return .transientFailure("quota source answered HTTP \(response.status.code)")
        }
    }
}
