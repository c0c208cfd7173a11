import Foundation
import HTTPTypes
import Hummingbird

extension SimulatorResponder {
    /// Answers a public Gemini API route. Flow: credential (400 unknown API key, 401 unknown OAuth
    /// token, 403 none), the key's fault, body checks (400), model (404), quota (429), answer.
    func handleGemini(_ route: GeminiRoute, method: HTTPRequest.Method, path: String, request: Request, body: ByteBuffer, context: Context) async throws -> Response {
        switch route {
        case .listModels, .getModel:
            guard method == .get else { return Self.methodNotAllowed(method, path) }
        case .generate, .countTokens, .unknownMethod:
            guard method == .post else { return Self.methodNotAllowed(method, path) }
        }
        let credential = GoogleCredential(request)
        let admission = await state.admit(key: credential.secret, request: Self.record(request, path: path, body: body), isQuotaEndpoint: false)
        guard case .admitted(let fault) = admission, let key = credential.secret else {
            return GoogleErrors.badCredential(.gemini, credential)
        }
        let routeModel: String?
        switch route {
        case .listModels: routeModel = nil
        case .getModel(let model), .generate(let model, _), .countTokens(let model), .unknownMethod(let model, _): routeModel = model
        }
        if let fault, let response = try await applyGoogleFault(fault, api: .gemini, credential: credential, key: key, model: routeModel, arrayWrapped: false, context: context) {
            return response
        }

        switch route {
        case .listModels:
            return HTTPResponses.json(200, ["models": .array(await state.modelNames(key: key).map(GeminiBodies.model))])
        case .getModel(let model):
            guard await state.rateLimitSnapshot(key: key, model: model) != nil else {
                return GoogleErrors.response(404, message: "models/\(model) is not found for API version v1beta")
            }
            return HTTPResponses.json(200, GeminiBodies.model(model))
        case .unknownMethod(_, let name):
            return GoogleErrors.response(404, message: "Method not found: \(name).")
        case .countTokens(let model):
            guard let json = try? JSONDecoder().decode(JSONValue.self, from: Self.data(body)) else { return GoogleErrors.invalidJSON() }
            guard let outer = GeminiRequest(json) else { return GoogleErrors.invalidArgument("Invalid JSON payload received. Expected an object.") }
            if let unknown = outer.unknownField(allowed: ["contents", "generateContentRequest", "generate_content_request"]) {
                return GoogleErrors.unknownField(unknown)
            }
            let inner = (outer.members["generateContentRequest"] ?? outer.members["generate_content_request"]).flatMap(GeminiRequest.init) ?? outer
            if let problem = inner.problem() { return GoogleErrors.invalidArgument(problem) }
            if case .modelNotFound = await state.consume(key: key, model: model, consume: false) {
                return GoogleErrors.modelNotFound(.gemini, model: model, method: "countTokens", arrayWrapped: false)
            }
            return HTTPResponses.json(200, GeminiBodies.countTokens(inner.promptTokens))
        case .generate(let model, let stream):
            guard let json = try? JSONDecoder().decode(JSONValue.self, from: Self.data(body)) else { return GoogleErrors.invalidJSON() }
            guard let gemini = GeminiRequest(json) else { return GoogleErrors.invalidArgument("Invalid JSON payload received. Expected an object.") }
            if let unknown = gemini.unknownField(allowed: GeminiRequest.knownFields) { return GoogleErrors.unknownField(unknown) }
            return try await answerGenerate(
                .gemini, key: key, model: model, request: gemini, stream: stream,
                framing: GoogleStreamFraming(alt: request.uri.queryParameters["alt"]), headers: request.headers
            )
        }
    }

    /// The checks and answer shared by the Gemini API and Code Assist generate calls, after the
    /// credential, the fault and the envelope: request problems (400), thought signatures of
    /// Gemini 3 models (400), model (404), quota (429), then the answer (plain, or streamed with
    /// `framing`). Code Assist answers are wrapped in `{"response": …, "traceId": …}` and its
    /// stream errors in a JSON array.
    func answerGenerate(
        _ api: GoogleAPI, key: String, model: String, request gemini: GeminiRequest, stream: Bool, framing: GoogleStreamFraming, headers: HTTPFields
    ) async throws -> Response {
        let arrayWrapped = api == .codeAssist && stream
        if let problem = gemini.problem() { return GoogleErrors.invalidArgument(problem, arrayWrapped: arrayWrapped) }
        if model.hasPrefix("gemini-3"), let missing = gemini.missingThoughtSignature() {
            return GoogleErrors.invalidArgument(
                "Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing "
                    + "thought_signature may lead to degraded model performance. Additional data, function call `default_api:\(missing.name)` , "
                    + "position \(missing.turn + 1). Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details.",
                arrayWrapped: arrayWrapped
            )
        }
        let pacing: StreamPacing
        switch await StreamPacing.resolve(headers: headers, state: state, maxTokens: nil) {
        case .success(let value): pacing = value
        case .failure(let message): return GoogleErrors.invalidArgument(message, arrayWrapped: arrayWrapped)
        }
        switch await state.consume(key: key, model: model, consume: true) {
        case .modelNotFound:
            return GoogleErrors.modelNotFound(api, model: model, method: stream ? "streamGenerateContent" : "generateContent", arrayWrapped: arrayWrapped)
        case .exhausted(let snapshot):
            let window = await state.windowSeconds(key: key, model: model) ?? 3600
            return GoogleErrors.resourceExhausted(
                api, reason: .forWindow(seconds: window), model: model, delaySeconds: snapshot.secondsUntilReset, now: snapshot.now,
                limit: snapshot.limit, arrayWrapped: arrayWrapped
            )
        case .granted:
            break
        }
        let answer = GeminiAnswer(request: gemini, model: model, chunks: pacing.chunks)
        let responseID = SimulatedCompletion.identifier("sim-")
        let traceID = SimulatedCompletion.identifier("")
        func wrapped(_ response: JSONValue) -> JSONValue {
            api == .codeAssist ? GeminiBodies.codeAssistEnvelope(response, traceID: traceID) : response
        }
        if stream {
            let events = GeminiBodies.streamEvents(answer, responseID: responseID).map(wrapped)
            return GoogleStream.response(events, framing: framing, delayMilliseconds: pacing.delayMilliseconds)
        }
        return HTTPResponses.json(200, wrapped(GeminiBodies.generateContentResponse(answer, responseID: responseID)))
    }

    /// A key's fault in the dialect of a Google API; `nil` to go on (`slow`, after its delay, and
    /// `malformed_quota`, which concerns quota endpoints only). `reset` aborts the connection.
    ///
    /// `rate_limited` → 429 `RATE_LIMIT_EXCEEDED` with `retry_after` (default 1 s) as the delay;
    /// `quota_exhausted` → 429 `QUOTA_EXHAUSTED` with `retry_after`, else the time until the model's
    /// window resets; `unavailable` → 503 (Code Assist: `MODEL_CAPACITY_EXHAUSTED`);
    /// `server_error` → 500; `bad_request` → 400; `unauthorized` → the API's answer to a bad credential.
    func applyGoogleFault(
        _ fault: Fault, api: GoogleAPI, credential: GoogleCredential, key: String, model: String?, arrayWrapped: Bool, context: Context
    ) async throws -> Response? {
        switch fault.mode {
        case .none, .malformedQuota, .slow, .reset:
            return try await applyFault(fault, style: .google, headers: [:], context: context)
        case .rateLimited, .quotaExhausted:
            let snapshot = await model.asyncFlatMap { await state.rateLimitSnapshot(key: key, model: $0) }
            let windowed = await model.asyncFlatMap { await state.windowSeconds(key: key, model: $0) } != nil
            let reason: GoogleQuotaReason = fault.mode == .rateLimited ? .rateLimitExceeded : .quotaExhausted
            let delay: Double
            if let retryAfter = fault.retryAfter {
                delay = Double(retryAfter)
            } else if reason == .rateLimitExceeded {
                delay = 1
            } else {
                delay = windowed ? snapshot?.secondsUntilReset ?? 3600 : 3600
            }
            return GoogleErrors.resourceExhausted(
                api, reason: reason, model: model ?? "unknown", delaySeconds: delay, now: snapshot?.now ?? Date(),
                limit: snapshot?.limit ?? ModelQuota.unlimited.limit, arrayWrapped: arrayWrapped
            )
        case .unavailable:
            return GoogleErrors.unavailable(api, model: model, arrayWrapped: arrayWrapped)
        case .serverError:
            return GoogleErrors.internalError(api, arrayWrapped: arrayWrapped)
        case .badRequest:
            return GoogleErrors.invalidArgument("Simulated bad request.", arrayWrapped: arrayWrapped)
        case .unauthorized:
            return GoogleErrors.badCredential(api, credential, arrayWrapped: arrayWrapped)
        }
    }
}

extension Optional {
    /// `flatMap` with an async transform.
    fileprivate func asyncFlatMap<Result>(_ transform: (Wrapped) async -> Result?) async -> Result? {
        guard let value = self else { return nil }
        return await transform(value)
    }
}
