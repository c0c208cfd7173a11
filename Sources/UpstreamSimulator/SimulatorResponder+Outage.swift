import Foundation
import HTTPTypes
import Hummingbird

extension SimulatorResponder {
    /// The answer of an instance outage for a request to `path` (never `/admin`), or `nil` when
    /// there is none. Google paths get a Google error body, every other path an OpenAI one.
    func outageResponse(path: String, context: Context) async throws -> Response? {
        guard !(path == "/admin" || path.hasPrefix("/admin/")), let outage = await state.takeOutage() else { return nil }
        guard let status = outage.status else {
            logger.debug("outage: resetting connection")
            await ConnectionResetter.reset(context.channel)
            throw ConnectionReset()
        }
        if path.hasPrefix("/v1internal") || path.hasPrefix("/v1beta/") || path.hasPrefix("/v1/models/") {
            let message = status == 404 ? "Requested entity was not found." : "The service is currently unavailable."
            return GoogleErrors.response(status, message: message)
        }
        return HTTPResponses.error(.openAI, status: status, type: "server_error", message: "The upstream host is unavailable (simulated outage).")
    }

    /// `GET /admin/outage` → `{"outage": Outage|null, "answered_total": N}`; `POST|PUT` with an
    /// ``Outage`` starts one; `DELETE` ends it.
    func handleAdminOutage(method: HTTPRequest.Method, path: String, data: Data) async throws(SimulatorError) -> Response {
        switch method {
        case .get:
            break
        case .post, .put:
            guard !data.isEmpty else { throw .invalidRequest("a JSON body is required") }
            try await state.setOutage(try JSONCoding.decode(Outage.self, from: data, what: "outage"))
        case .delete:
            try await state.setOutage(nil)
        default:
            return Self.methodNotAllowed(method, path)
        }
        let outage: JSONValue = await state.currentOutage().flatMap { try? JSONDecoder().decode(JSONValue.self, from: JSONCoding.encode($0)) } ?? .null
        return HTTPResponses.json(200, ["outage": outage, "answered_total": .int(await state.outageAnswerCount())])
    }
}
