import QuotaCore

/// One line a control socket answers with.
public struct ControlResponse: Sendable, Equatable {
    public var id: JSONValue
    public var outcome: Result<JSONValue, ControlError>

    public init(id: JSONValue, outcome: Result<JSONValue, ControlError>) {
        self.id = id
        self.outcome = outcome
    }

    /// `{"id":…,"ok":true,"result":…}` or `{"id":…,"ok":false,"error":{"code":…,"message":…}}`.
    public var json: JSONValue {
        switch outcome {
        case .success(let result):
            return ["id": id, "ok": true, "result": result]
        case .failure(let error):
            return ["id": id, "ok": false, "error": ["code": .string(error.code.rawValue), "message": .string(error.message)]]
        }
    }

    /// Decodes an answer line.
    public init(json: JSONValue) throws(ControlError) {
        guard case .object(let object) = json, case .bool(let ok) = object["ok"] ?? .null else {
            throw ControlError(code: .malformedRequest, message: "the answer is not a control response object")
        }
        let id = object["id"] ?? .null
        if ok {
            self.init(id: id, outcome: .success(object["result"] ?? .null))
        } else {
            let error = object["error"]
            let code = error?["code"]?.stringValue ?? "internal"
            let message = error?["message"]?.stringValue ?? "no message"
            self.init(id: id, outcome: .failure(ControlError(code: .init(rawValue: code), message: message, id: id)))
        }
    }
}
