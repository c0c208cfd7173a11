import Foundation
import HTTPTypes
import Hummingbird

extension SimulatorResponder {
    /// The shared flow of every model route: authenticate, record, apply the key's fault, validate,
    /// take quota, then answer (plain or streamed) with rate-limit headers.
    func handleModelRoute(_ route: ModelRoute, path: String, request: Request, body: ByteBuffer, context: Context) async throws -> Response {
        let style = route.style
        let key = Self.presentedKey(request.headers, preferAPIKeyHeader: style == .anthropic)
        let admission = await state.admit(key: key, request: Self.record(request, path: path, body: body), isQuotaEndpoint: false)
        guard case .admitted(let fault) = admission, let key else {
            return HTTPResponses.unauthorized(style)
        }

        let parsed = ModelRequestBody(json: try? JSONDecoder().decode(JSONValue.self, from: Self.data(body)), byteCount: body.readableBytes)
        // Headers for answers given before the quota is taken (the model is known but not yet served).
        var snapshot: QuotaSnapshot?
        if let model = parsed.model { snapshot = await state.rateLimitSnapshot(key: key, model: model) }
        if let fault {
            let faultSnapshot = fault.mode == .quotaExhausted ? snapshot?.exhausted : snapshot
            if let response = try await applyFault(fault, style: style, headers: HTTPResponses.rateLimitHeaders(faultSnapshot), context: context) {
                return response
            }
            if fault.mode == .slow, let model = parsed.model {
                snapshot = await state.rateLimitSnapshot(key: key, model: model)
            }
        }
        let earlyHeaders = HTTPResponses.rateLimitHeaders(snapshot)

        if route.requiresAnthropicVersion, request.headers[.anthropicVersion] == nil {
            return HTTPResponses.badRequest(style, "anthropic-version: header is required", headers: earlyHeaders)
        }
        guard let json = parsed.json else {
            return HTTPResponses.badRequest(style, "We could not parse the JSON body of your request: the body must be valid JSON.", code: "invalid_json")
        }
        guard case .object = json else {
            return HTTPResponses.badRequest(style, "The request body must be a JSON object.", code: "invalid_json")
        }
        guard let model = parsed.model, !model.isEmpty else {
            return HTTPResponses.badRequest(style, "you must provide a model parameter", code: "missing_required_parameter")
        }
        let pacing: StreamPacing
        switch await StreamPacing.resolve(headers: request.headers, state: state, maxTokens: parsed.maxTokens) {
        case .success(let value): pacing = value
        case .failure(let message): return HTTPResponses.badRequest(style, message, code: "invalid_simulator_header", headers: earlyHeaders)
        }

        // Subscription windows first: a used-up 5-hour or 7-day window refuses every model.
        var subscriptionHeaders = HTTPFields()
        switch await state.takeSubscription(key: key, consume: route.consumesQuota) {
        case .exhausted(let plan):
            let rejection = plan.rejection(now: Date())
            return HTTPResponses.json(rejection.status, rejection.body, headers: rejection.headers)
        case .granted(let plan):
            subscriptionHeaders = plan.headers(now: Date())
        case nil:
            break
        }
        switch await state.consume(key: key, model: model, consume: route.consumesQuota) {
        case .modelNotFound:
            return HTTPResponses.error(
                style, status: 404, type: style == .anthropic ? "not_found_error" : "invalid_request_error",
                message: "The model `\(model)` does not exist or you do not have access to it.", code: "model_not_found"
            )
        case .exhausted(let snapshot):
            return HTTPResponses.quotaExhausted(style, headers: HTTPResponses.rateLimitHeaders(snapshot))
        case .granted(let snapshot):
            var headers = HTTPResponses.rateLimitHeaders(snapshot)
            headers.append(contentsOf: subscriptionHeaders)
            let completion = SimulatedCompletion(chunkCount: pacing.chunks, requestBodyBytes: parsed.byteCount)
            let streaming = route.supportsStreaming && parsed.stream
            switch route {
            case .chatCompletions:
                let includeUsage = json["stream_options"]?["include_usage"]?.boolValue ?? false
                switch ChatToolTurn(openAI: json) {
                case .call(let name, let arguments):
                    let call = SimulatedToolCall(name: name, arguments: arguments, style: .openAI)
                    return streaming
                        ? OpenAIBodies.chatToolCallStream(
                            model: model, call: call, promptTokens: completion.promptTokens, includeUsage: includeUsage, pacing: pacing, headers: headers)
                        : HTTPResponses.json(200, OpenAIBodies.chatToolCall(model: model, call: call, promptTokens: completion.promptTokens), headers: headers)
                case .results(let results):
                    let echo = SimulatedCompletion(chunks: ChatToolTurn.echoPieces(results), requestBodyBytes: parsed.byteCount)
                    return streaming
                        ? OpenAIBodies.chatStream(model: model, completion: echo, includeUsage: includeUsage, pacing: pacing, headers: headers)
                        : HTTPResponses.json(200, OpenAIBodies.chatCompletion(model: model, completion: echo), headers: headers)
                case nil:
                    break
                }
                return streaming
                    ? OpenAIBodies.chatStream(model: model, completion: completion, includeUsage: includeUsage, pacing: pacing, headers: headers)
                    : HTTPResponses.json(200, OpenAIBodies.chatCompletion(model: model, completion: completion), headers: headers)
            case .completions:
                return streaming
                    ? OpenAIBodies.completionStream(model: model, completion: completion, pacing: pacing, headers: headers)
                    : HTTPResponses.json(200, OpenAIBodies.completion(model: model, completion: completion), headers: headers)
            case .responses:
                return streaming
                    ? OpenAIBodies.responseStream(model: model, completion: completion, pacing: pacing, headers: headers)
                    : HTTPResponses.json(200, OpenAIBodies.response(model: model, completion: completion), headers: headers)
            case .embeddings:
                return HTTPResponses.json(200, OpenAIBodies.embeddings(model: model, input: json["input"], promptTokens: completion.promptTokens), headers: headers)
            case .messages:
                switch ChatToolTurn(anthropic: json) {
                case .call(let name, let arguments):
                    let call = SimulatedToolCall(name: name, arguments: arguments, style: .anthropic)
                    return streaming
                        ? AnthropicBodies.toolUseStream(model: model, call: call, promptTokens: completion.promptTokens, pacing: pacing, headers: headers)
                        : HTTPResponses.json(200, AnthropicBodies.toolUse(model: model, call: call, promptTokens: completion.promptTokens), headers: headers)
                case .results(let results):
                    let echo = SimulatedCompletion(chunks: ChatToolTurn.echoPieces(results), requestBodyBytes: parsed.byteCount)
                    return streaming
                        ? AnthropicBodies.messageStream(model: model, completion: echo, pacing: pacing, headers: headers)
                        : HTTPResponses.json(200, AnthropicBodies.message(model: model, completion: echo), headers: headers)
                case nil:
                    break
                }
                return streaming
                    ? AnthropicBodies.messageStream(model: model, completion: completion, pacing: pacing, headers: headers)
                    : HTTPResponses.json(200, AnthropicBodies.message(model: model, completion: completion), headers: headers)
            case .countTokens:
                return HTTPResponses.json(200, ["input_tokens": .int(completion.promptTokens)], headers: headers)
            }
        }
    }

    /// `GET /v1/models`: the key's models, in OpenAI's list shape (Anthropic's when the request
    /// carries `anthropic-version`).
    func handleListModels(path: String, request: Request, body: ByteBuffer, context: Context) async throws -> Response {
        let anthropic = request.headers[.anthropicVersion] != nil
        let style: APIStyle = anthropic ? .anthropic : .openAI
        let key = Self.presentedKey(request.headers, preferAPIKeyHeader: anthropic)
        guard case .admitted(let fault) = await state.admit(key: key, request: Self.record(request, path: path, body: body), isQuotaEndpoint: false), let key else {
            return HTTPResponses.unauthorized(style)
        }
        if let fault, let response = try await applyFault(fault, style: style, headers: [:], context: context) {
            return response
        }
        let models = await state.modelNames(key: key)
        if anthropic {
            let data: [JSONValue] = models.map {
                ["type": "model", "id": .string($0), "display_name": .string($0), "created_at": "2025-01-01T00:00:00Z"]
            }
            return HTTPResponses.json(200, [
                "data": .array(data), "has_more": false,
                "first_id": models.first.map(JSONValue.string) ?? nil, "last_id": models.last.map(JSONValue.string) ?? nil,
            ])
        }
        let data: [JSONValue] = models.map { ["id": .string($0), "object": "model", "created": 1_700_000_000, "owned_by": "quota-upstream-sim"] }
        return HTTPResponses.json(200, ["object": "list", "data": .array(data)])
    }
}
