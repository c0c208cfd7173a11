import Foundation
import HTTPTypes
import Hummingbird

extension SimulatorResponder {
    /// Answers `POST /v1internal:{generateContent|streamGenerateContent|countTokens|loadCodeAssist}`
    /// (`fetchAvailableModels` is a quota endpoint, see ``handleQuotaEndpoint``). Flow: OAuth token
    /// (401), the key's fault, envelope checks (400), project (403), then as the Gemini API.
    func handleCodeAssist(_ method: CodeAssistMethod, httpMethod: HTTPRequest.Method, path: String, request: Request, body: ByteBuffer, context: Context) async throws -> Response {
        guard httpMethod == .post else { return Self.methodNotAllowed(httpMethod, path) }
        let stream = method == .streamGenerateContent
        let credential = GoogleCredential(request)
        let admission = await state.admit(key: credential.secret, request: Self.record(request, path: path, body: body), isQuotaEndpoint: false)
        guard case .admitted(let fault) = admission, let key = credential.secret else {
            return GoogleErrors.badCredential(.codeAssist, credential, arrayWrapped: stream)
        }
        let json = try? JSONDecoder().decode(JSONValue.self, from: Self.data(body))
        let envelope = json.flatMap(GeminiRequest.init)
        let model = envelope?.members["model"]?.stringValue
        if let fault,
            let response = try await applyGoogleFault(fault, api: .codeAssist, credential: credential, key: key, model: model, arrayWrapped: stream, context: context)
        {
            return response
        }
        guard json != nil else { return GoogleErrors.invalidJSON(arrayWrapped: stream) }
        guard let envelope else { return GoogleErrors.invalidArgument("Invalid JSON payload received. Expected an object.", arrayWrapped: stream) }

        switch method {
        case .loadCodeAssist:
            if let metadata = envelope.members["metadata"], metadata != .null, GeminiRequest(metadata) == nil {
                return GoogleErrors.invalidArgument("Invalid value at 'metadata' (type.googleapis.com/google.internal.cloud.code.v1internal.ClientMetadata): expected an object")
            }
            return HTTPResponses.json(200, Self.loadCodeAssistAnswer(project: await state.project(key: key)))
        case .countTokens:
            if let unknown = envelope.unknownField(allowed: ["request"]) { return GoogleErrors.unknownField(unknown) }
            guard let inner = envelope.members["request"].flatMap(GeminiRequest.init) else {
                return GoogleErrors.invalidArgument("* CountTokensRequest.request: request is required\n")
            }
            if let unknown = inner.unknownField(allowed: GeminiRequest.countTokensFields) { return GoogleErrors.unknownField("request.\(unknown)") }
            if let problem = inner.problem() { return GoogleErrors.invalidArgument(problem) }
            if let named = inner.members["model"]?.stringValue {
                let name = named.hasPrefix("models/") ? String(named.dropFirst("models/".count)) : named
                if case .modelNotFound = await state.consume(key: key, model: name, consume: false) {
                    return GoogleErrors.modelNotFound(.codeAssist, model: name, method: "countTokens", arrayWrapped: false)
                }
            }
            return HTTPResponses.json(200, ["totalTokens": .int(inner.promptTokens)])
        case .generateContent, .streamGenerateContent:
            if let unknown = envelope.unknownField(allowed: CodeAssistMethod.envelopeFields) { return GoogleErrors.unknownField(unknown, arrayWrapped: stream) }
            guard let model, !model.isEmpty else { return GoogleErrors.invalidArgument("* GenerateContentRequest.model: model is required\n", arrayWrapped: stream) }
            guard let inner = envelope.members["request"].flatMap(GeminiRequest.init) else {
                return GoogleErrors.invalidArgument("* GenerateContentRequest.request: request is required\n", arrayWrapped: stream)
            }
            if let unknown = inner.unknownField(allowed: GeminiRequest.knownFields.union(GeminiRequest.codeAssistExtraFields)) {
                return GoogleErrors.unknownField("request.\(unknown)", arrayWrapped: stream)
            }
            if let expected = await state.project(key: key) {
                let given = envelope.members["project"]?.stringValue
                guard given == expected else { return GoogleErrors.projectDenied(given, arrayWrapped: stream) }
            }
            return try await answerGenerate(
                .codeAssist, key: key, model: model, request: inner, stream: stream,
                framing: GoogleStreamFraming(alt: request.uri.queryParameters["alt"]), headers: request.headers
            )
        case .fetchAvailableModels:
            return try await handleQuotaEndpoint(.antigravity, path: path, request: request, body: body, context: context)
        }
    }

    /// The `loadCodeAssist` answer: an onboarded account (with a project) has a `currentTier` and
    /// its `cloudaicompanionProject`; one without a project only lists the tiers it may join.
    static func loadCodeAssistAnswer(project: String?) -> JSONValue {
        let standard: JSONValue = [
            "id": "standard-tier", "name": "Gemini Code Assist", "description": "Simulated Code Assist tier",
            "userDefinedCloudaicompanionProject": true, "isDefault": true,
        ]
        guard let project else {
            return [
                "allowedTiers": [[
                    "id": "free-tier", "name": "Gemini Code Assist for individuals", "description": "Simulated free tier",
                    "userDefinedCloudaicompanionProject": false, "isDefault": true,
                ]],
                "gcpManaged": false,
            ]
        }
        return ["currentTier": standard, "allowedTiers": [standard], "cloudaicompanionProject": .string(project), "gcpManaged": false]
    }

    /// The extra checks and members of the Code Assist `fetchAvailableModels` answer: a `project`
    /// in the body must be the key's (403 otherwise; `{}` is accepted); `deprecatedModelIds` is
    /// added when configured. `nil` when the project is fine.
    func codeAssistProjectDenial(key: String, body: ByteBuffer) async -> Response? {
        guard let expected = await state.project(key: key),
            let json = try? JSONDecoder().decode(JSONValue.self, from: Self.data(body)),
            let given = json["project"]?.stringValue, !given.isEmpty
        else { return nil }
        return given == expected ? nil : GoogleErrors.projectDenied(given, arrayWrapped: false)
    }

    /// `{"models": {name: {displayName, quotaInfo{remainingFraction, resetTime}}}, "deprecatedModelIds"?: {old: {newModelId}}}`.
    func antigravityQuotaAnswer(report: [(model: String, snapshot: QuotaSnapshot)]) async -> JSONValue {
        var models: [String: JSONValue] = [:]
        for (model, snapshot) in report {
            models[model] = [
                "displayName": .string(model),
                "quotaInfo": ["remainingFraction": .number(snapshot.remainingFraction), "resetTime": .string(RateLimitFormatting.rfc3339(snapshot.resetAt))],
            ]
        }
        var answer: [String: JSONValue] = ["models": .object(models)]
        let deprecated = await state.deprecatedModelIDs()
        if !deprecated.isEmpty {
            answer["deprecatedModelIds"] = .object(deprecated.mapValues { ["newModelId": .string($0)] })
        }
        return .object(answer)
    }
}
