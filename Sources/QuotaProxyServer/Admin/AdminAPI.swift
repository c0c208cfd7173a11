import Foundation
import NIOHTTP1
import QuotaControl
import QuotaCore
import QuotaRuntime
import QuotaState

/// The endpoints of the admin API (under `/admin/api/`, the admin key already checked).
///
/// Reads come from the services' control sockets (the same commands `quota-proxyctl` uses) and
/// from the state folder (request log, quota history); every action is a control command, so the
/// dashboard and the CLI cannot disagree. Credentials appear only masked, as the `accounts`
/// command gives them.
///
/// | method | path | does |
/// |---|---|---|
/// | GET | `session` | checks the key |
/// | GET | `status` | the three services (`status` on each socket) |
/// | GET | `accounts` | accounts with quota windows, cooldowns, protection settings |
/// | GET | `timeline?hours=24` | requests per minute, quota per account and model |
/// | GET | `warmups` | next scan, what it would warm, history, recent warmups |
/// | GET | `requests?since&until&model&account&status&kind&limit` | the request log, newest first |
/// | GET | `requests/{id}` | one request with its attempts |
/// | GET | `requests/export?format=csv|jsonl&…` | the matching records, oldest first |
/// | POST | `warmup` `{"account"?}` | `scheduler.sock warmup` |
/// | POST | `refresh` `{"account"?}` | `refresher.sock refresh` |
/// | POST | `clear-cooldown` `{"account","group"?}` | `proxy.sock clear-cooldown` |
/// | POST | `accounts/{id}/enable`, `accounts/{id}/disable` `{"reason"?}` | `proxy.sock enable`/`disable` |
struct AdminAPI: Sendable {
    let runtime: RuntimeDirectory
    let state: StateDirectory
    let timeline: AdminTimeline
    let configuration: SharedConfiguration

    init(runtime: RuntimeDirectory, state: StateDirectory, configuration: SharedConfiguration) {
        self.runtime = runtime
        self.state = state
        self.configuration = configuration
        self.timeline = AdminTimeline(stateDirectory: state)
    }

    func respond(method: String, segments: [String], query: String, body: [UInt8]) async -> AdminResponse {
        let route = (method, segments)
        switch route {
        case ("GET", ["session"]):
            return .json(["ok": true, "version": .string(QuotaProxyVersion.current)])
        case ("GET", ["status"]):
            return await status()
        case ("GET", ["accounts"]):
            return await accounts()
        case ("GET", ["timeline"]):
            return await timelineAnswer(query: query)
        case ("GET", ["warmups"]):
            return await warmups()
        case ("GET", ["requests"]):
            return await requests(query: query)
        case ("GET", ["requests", "export"]):
            return await export(query: query)
        case ("GET", let path) where path.count == 2 && path[0] == "requests":
            return await request(id: path[1])
        case ("POST", ["warmup"]):
            return await action(body: body, allowed: ["account"]) { arguments in
                (.scheduler, "warmup", arguments, .seconds(30))
            }
        case ("POST", ["refresh"]):
            return await action(body: body, allowed: ["account"]) { arguments in
                (.refresher, "refresh", arguments, .seconds(10))
            }
        case ("POST", ["clear-cooldown"]):
            return await action(body: body, allowed: ["account", "group"], required: ["account"]) { arguments in
                (.proxy, "clear-cooldown", arguments, .seconds(10))
            }
        case ("POST", let path) where path.count == 3 && path[0] == "accounts" && (path[2] == "enable" || path[2] == "disable"):
            guard Account.isValidID(path[1]) else {
                return .error(.badRequest, code: "invalid_argument", "\"\(path[1].prefix(80))\" is not an account id (A–Z a–z 0–9 . _ -)")
            }
            let command = path[2]
            return await action(body: body, allowed: command == "disable" ? ["reason"] : []) { arguments in
                var arguments = arguments
                arguments["account"] = .string(path[1])
                return (.proxy, command, arguments, .seconds(10))
            }
        default:
            return Self.unknownRoute(method: method, segments: segments)
        }
    }

    /// 405 for a known path asked with another method, else 404.
    static func unknownRoute(method: String, segments: [String]) -> AdminResponse {
        let path = "/admin/api/" + segments.joined(separator: "/")
        let getPaths: Set<String> = ["session", "status", "accounts", "timeline", "warmups", "requests", "requests/export"]
        let postPaths: Set<String> = ["warmup", "refresh", "clear-cooldown"]
        let joined = segments.joined(separator: "/")
        var allowed: String?
        if getPaths.contains(joined) || (segments.count == 2 && segments[0] == "requests") {
            allowed = "GET"
        } else if postPaths.contains(joined) || (segments.count == 3 && segments[0] == "accounts" && ["enable", "disable"].contains(segments[2])) {
            allowed = "POST"
        }
        if let allowed {
            return .error(.methodNotAllowed, code: "method_not_allowed", "\(method) is not allowed on \(path); use \(allowed)", headers: [("allow", allowed)])
        }
        return .error(.notFound, code: "not_found", "no admin API endpoint \(method) \(path)")
    }

    // MARK: - Control sockets

    /// One control command; a failure becomes the admin API's error answer.
    func call(
        _ service: ServiceIdentity, _ command: String, _ arguments: [String: JSONValue] = [:], timeout: Duration = .seconds(10)
    ) async -> Result<JSONValue, AdminError> {
        let client = ControlClient(path: runtime.socketPath(for: service))
        do throws(ControlClientError) {
            return .success(try await client.send(command, arguments: arguments, timeout: timeout))
        } catch {
            return .failure(AdminError(service: service, error: error))
        }
    }

    // MARK: - Reads

    private func status() async -> AdminResponse {
        let answers = await withTaskGroup(of: (ServiceIdentity, Result<JSONValue, AdminError>).self) { group in
            for service in ServiceIdentity.allCases {
                group.addTask { (service, await call(service, "status", timeout: .seconds(3))) }
            }
            var answers: [ServiceIdentity: Result<JSONValue, AdminError>] = [:]
            for await (service, answer) in group { answers[service] = answer }
            return answers
        }
        let services = ServiceIdentity.allCases.map { service -> JSONValue in
            switch answers[service]! {
            case .success(let status):
                var object = status.objectValue ?? [:]
                object["name"] = .string(service.rawValue)
                object["running"] = true
                return .object(object)
            case .failure(let error):
                return ["name": .string(service.rawValue), "running": false, "ready": false, "error": .string(error.message)]
            }
        }
        return .json(["services": .array(services), "time": .string(Timestamp.format(Date()))])
    }

    private func accounts() async -> AdminResponse {
        async let listing = call(.proxy, "accounts")
        async let cooldowns = call(.proxy, "cooldowns")
        let (accounts, cooling) = await (listing, cooldowns)
        guard case .success(let list) = accounts else { return accounts.failureResponse! }
        guard case .success(let cool) = cooling else { return cooling.failureResponse! }
        let configuration = self.configuration.current
        return .json([
            "accounts": list["accounts"] ?? [],
            "skipped_files": list["skipped_files"] ?? [],
            "cooldowns": cool["cooldowns"] ?? [],
            "protection": [
                "enabled": .bool(configuration.quotaProtection.enabled),
                "threshold_percentage": .number(Double(configuration.quotaProtection.thresholdPercentage)),
                "monitored_models": .array(configuration.quotaProtection.monitoredModels.map(JSONValue.string)),
            ],
            "time": .string(Timestamp.format(Date())),
        ])
    }

    private func timelineAnswer(query: String) async -> AdminResponse {
        let parameters: QueryString
        do {
            parameters = try QueryString(parsing: Substring(query))
        } catch {
            return .error(.badRequest, code: "invalid_argument", error.description)
        }
        if let unknown = parameters.names.first(where: { $0 != "hours" }) {
            return .error(.badRequest, code: "invalid_argument", "\(unknown.prefix(80)): unknown parameter; known: hours")
        }
        var hours = 24
        if let text = parameters["hours"] {
            guard let value = Int(text), (1...24).contains(value) else {
                return .error(.badRequest, code: "invalid_argument", "hours: must be a whole number from 1 to 24, got \"\(text.prefix(40))\"")
            }
            hours = value
        }
        return .json(await timeline.answer(hours: hours))
    }

    private func warmups() async -> AdminResponse {
        async let planAnswer = call(.scheduler, "plan")
        async let statusAnswer = call(.scheduler, "status", timeout: .seconds(3))
        let reader = state.requestLog
        let since = Date().addingTimeInterval(-86_400)
        let recent = await AdminWork.run { () -> Result<[RequestRecord], RequestLogError> in
            do throws(RequestLogError) {
                return .success(try reader.records(matching: RequestLogFilter(since: since, kind: .warmup), limit: 50))
            } catch {
                return .failure(error)
            }
        }
        var object: [String: JSONValue] = [:]
        switch await planAnswer {
        case .success(let plan): object["plan"] = plan
        case .failure(let error):
            object["plan"] = .null
            object["error"] = .string(error.message)
        }
        if case .success(let status) = await statusAnswer {
            object["scheduler"] = status["details"] ?? .null
        } else {
            object["scheduler"] = .null
        }
        switch recent {
        case .success(let records): object["recent"] = .array(records.map { Self.listed($0) })
        case .failure(let error):
            object["recent"] = []
            object["request_log_error"] = .string(error.description)
        }
        object["time"] = .string(Timestamp.format(Date()))
        return .json(.object(object))
    }

    /// The request log query of `query`, or the 400 that refuses it.
    private func parseLogQuery(_ query: String, export: Bool) -> (RequestLogQuery?, AdminResponse?) {
        let parameters: QueryString
        do {
            parameters = try QueryString(parsing: Substring(query))
        } catch {
            return (nil, .error(.badRequest, code: "invalid_argument", error.description))
        }
        do {
            return (try RequestLogQuery(parameters, export: export, now: Date()), nil)
        } catch {
            return (nil, .error(.badRequest, code: "invalid_argument", error.description))
        }
    }

    private func requests(query: String) async -> AdminResponse {
        let (query, refusal) = parseLogQuery(query, export: false)
        guard let parsed = query else { return refusal! }
        let reader = state.requestLog
        let result = await AdminWork.run { () -> Result<RequestLogPage, RequestLogError> in
            do throws(RequestLogError) {
                return .success(try reader.page(matching: parsed.filter, limit: parsed.limit, countingAll: true))
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .success(let page):
            return .json([
                "records": .array(page.records.map { Self.listed($0) }),
                "matching_count": page.matchingCount.map { .number(Double($0)) } ?? .null,
                "log_exists": .bool(page.logExists),
                "skipped_lines": .number(Double(page.skippedLines)),
                "limit": parsed.limit.map { .number(Double($0)) } ?? .null,
                "request_log_enabled": .bool(configuration.current.requestLog.enabled),
            ])
        case .failure(let error):
            return .error(.internalServerError, code: "request_log_unreadable", error.description)
        }
    }

    private func request(id: String) async -> AdminResponse {
        guard !id.isEmpty, id.utf8.count <= 128 else {
            return .error(.badRequest, code: "invalid_argument", "a request id has 1 to 128 characters")
        }
        let reader = state.requestLog
        let result = await AdminWork.run { () -> Result<RequestRecord?, RequestLogError> in
            do throws(RequestLogError) { return .success(try reader.record(id: id)) } catch { return .failure(error) }
        }
        switch result {
        case .success(let record?): return .json(Self.json(record))
        case .success(nil): return .error(.notFound, code: "not_found", "no request with id \(id.prefix(128)) in the request log")
        case .failure(let error): return .error(.internalServerError, code: "request_log_unreadable", error.description)
        }
    }

    private func export(query: String) async -> AdminResponse {
        let (query, refusal) = parseLogQuery(query, export: true)
        guard let parsed = query else { return refusal! }
        let reader = state.requestLog
        let result = await AdminWork.run { () -> Result<String, RequestLogError> in
            do throws(RequestLogError) {
                let records = Array(try reader.records(matching: parsed.filter, limit: parsed.limit).reversed())
                return .success(parsed.format == .csv ? RequestLogExport.csv(records) : RequestLogExport.jsonl(records))
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .success(let text):
            let format = parsed.format ?? .jsonl
            let stamp = Timestamp.format(Date()).replacingOccurrences(of: ":", with: "")
            return AdminResponse(
                status: .ok, contentType: format == .csv ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8",
                headers: [("content-disposition", "attachment; filename=\"requests-\(stamp).\(format.rawValue)\"")], body: Array(text.utf8))
        case .failure(let error):
            return .error(.internalServerError, code: "request_log_unreadable", error.description)
        }
    }

    /// A record as the log stores it.
    static func json(_ record: RequestRecord) -> JSONValue {
        (try? JSONDecoder().decode(JSONValue.self, from: Data(record.jsonLine().utf8))) ?? .null
    }

    /// A record in a listing: without its bodies (``json(_:)`` of one record has them).
    static func listed(_ record: RequestRecord) -> JSONValue {
        var record = record
        let hadBodies = record.requestBody != nil || record.responseBody != nil
        record.requestBody = nil
        record.responseBody = nil
        guard hadBodies, case .object(var object) = json(record) else { return json(record) }
        object["has_bodies"] = true
        return .object(object)
    }

    // MARK: - Actions

    /// Runs one control command built from the JSON body's string arguments.
    private func action(
        body: [UInt8], allowed: Set<String>, required: Set<String> = [],
        _ command: ([String: JSONValue]) -> (ServiceIdentity, String, [String: JSONValue], Duration)
    ) async -> AdminResponse {
        var arguments: [String: JSONValue] = [:]
        if !body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            guard case .object(let object)? = try? JSONDecoder().decode(JSONValue.self, from: Data(body)) else {
                return .error(.badRequest, code: "invalid_json", "the body must be a JSON object such as {\"account\":\"acc-1\"}")
            }
            for (name, value) in object.sorted(by: { $0.key < $1.key }) {
                guard allowed.contains(name) else {
                    let known = allowed.isEmpty ? "none" : allowed.sorted().joined(separator: ", ")
                    return .error(.badRequest, code: "invalid_argument", "\(name.prefix(80)): unknown field; known: \(known)")
                }
                switch value {
                case .null: continue
                case .string(let text) where !text.isEmpty && text.utf8.count <= 512:
                    if name == "account", !Account.isValidID(text) {
                        return .error(.badRequest, code: "invalid_argument", "account: \"\(text.prefix(80))\" is not an account id (A–Z a–z 0–9 . _ -)")
                    }
                    arguments[name] = value
                default:
                    return .error(.badRequest, code: "invalid_argument", "\(name): must be a non-empty string of at most 512 bytes")
                }
            }
        }
        if let missing = required.sorted().first(where: { arguments[$0] == nil }) {
            return .error(.badRequest, code: "invalid_argument", "\(missing): required")
        }
        let (service, name, final, timeout) = command(arguments)
        switch await call(service, name, final, timeout: timeout) {
        case .success(let result): return .json(["ok": true, "service": .string(service.rawValue), "command": .string(name), "result": result])
        case .failure(let error): return error.response
        }
    }
}

/// A control command that did not succeed, as the admin API answers it.
struct AdminError: Error, Sendable {
    var status: HTTPResponseStatus
    var code: String
    var message: String

    init(service: ServiceIdentity, error: ControlClientError) {
        switch error {
        case .notRunning:
            self.init(status: .serviceUnavailable, code: "service_unavailable", message: "\(service.rawValue) is not running")
        case .permissionDenied:
            self.init(
                status: .serviceUnavailable, code: "service_unavailable",
                message: "\(service.rawValue): the proxy may not open its control socket (\(error))")
        case .timedOut:
            self.init(status: .gatewayTimeout, code: "timeout", message: "\(service.rawValue) did not answer in time")
        case .transport:
            self.init(status: .badGateway, code: "control_error", message: "\(service.rawValue): \(error)")
        case .commandFailed(let failure):
            switch failure.code {
            case .notFound: self.init(status: .notFound, code: "not_found", message: failure.message)
            case .invalidArgument: self.init(status: .badRequest, code: "invalid_argument", message: failure.message)
            case .unavailable: self.init(status: .serviceUnavailable, code: "service_unavailable", message: failure.message)
            case .failed: self.init(status: .conflict, code: "failed", message: failure.message)
            default: self.init(status: .badGateway, code: failure.code.rawValue, message: failure.message)
            }
        }
    }

    init(status: HTTPResponseStatus, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    var response: AdminResponse { .error(status, code: code, message) }
}

extension Result where Failure == AdminError {
    /// The error answer of a failure.
    var failureResponse: AdminResponse? {
        if case .failure(let error) = self { return error.response }
        return nil
    }
}
