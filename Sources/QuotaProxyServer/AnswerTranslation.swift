import NIOCore
import QuotaCore
import QuotaTranslation

/// The translation of one attempt whose account speaks another protocol than the client (or
/// wraps it in the Code Assist envelope): the upstream request body, and how to turn the answer
/// back into the client's protocol.
struct AnswerTranslation {
    /// How the answer reaches the client.
    enum Mode {
        /// The client asked to stream: each upstream event is translated as it arrives.
        case stream
        /// One JSON answer (the upstream's whole body, or its stream folded), written with a
        /// `content-length` once complete.
        case whole
    }

    let exchange: QuotaTranslation.Exchange
    /// The request body for the upstream.
    let body: [UInt8]
    /// Whether the upstream's streaming endpoint is called.
    let upstreamStreams: Bool

    var mode: Mode { exchange.clientStreams ? .stream : .whole }

    /// Translated answers collected whole are cut off (502) beyond this size.
    static let maximumWholeAnswerBytes = 64 << 20
    /// Error bodies are translated from at most this much of the upstream's.
    static let maximumErrorBytes = 1 << 20

    /// Translates `request`'s body for an account of `provider` (`nil` when the account speaks the
    /// client's protocol natively and the body goes as it is).
    /// - Throws: the translation error (400, naming the field) when the request cannot be carried.
    /// - Parameter upstreamModel: the model's name on this account (``Account/upstreamName(of:)``).
    static func make(
        for request: ProxiedRequest, provider: Provider, upstreamModel: String, project: String?, requestID: String, now: Double
    ) throws(TranslationError) -> AnswerTranslation? {
        guard let client = ClientDialect(rawValue: request.clientProtocol.rawValue),
            let upstream = UpstreamDialect(rawValue: provider.rawValue)
        else { return nil }
        let translator = Translator(client: client, upstream: upstream)
        if translator.isPassThrough { return nil }
        let kind: ExchangeKind = request.operation == .countTokens ? .countTokens : .generate
        let parameters = RequestParameters(
            kind: kind, upstreamModel: upstreamModel, clientStreams: request.clientProtocol == .gemini ? request.streamByPath : nil,
            project: project, requestID: requestID, created: Int(now))
        let translated = try request.body.withUnsafeReadableBytes { bytes throws(TranslationError) in
            try translator.translateRequest(bytes, parameters)
        }
        return AnswerTranslation(exchange: translated.exchange, body: translated.body, upstreamStreams: translated.upstreamStreams)
    }

    /// The client's failure for a translation error of the request.
    static func clientFailure(_ error: TranslationError) -> ClientFailure {
        ClientFailure(status: error.httpStatus, kind: error.httpStatus == 400 ? .invalidRequest : .upstreamFailure, message: error.message)
    }
}

/// The answer of a translated attempt as it is being turned into the client's protocol.
struct TranslatedAnswer {
    private var stream: StreamTranslator?
    /// The upstream's body, for a whole (not streamed) answer or an error.
    private var collected: [UInt8] = []
    private var tooLarge = false
    let translation: AnswerTranslation
    let status: Int
    let isError: Bool

    init(translation: AnswerTranslation, status: Int) {
        self.translation = translation
        self.status = status
        isError = !(200..<300).contains(status)
        if !isError && translation.upstreamStreams {
            stream = translation.exchange.makeStreamTranslator()
        }
    }

    /// Takes the next part of the upstream's body; returns the bytes for the client now (only for
    /// streamed answers: the others come from ``finish()``).
    mutating func feed(_ part: ByteBuffer) -> [UInt8] {
        if stream != nil {
            return part.withUnsafeReadableBytes { stream!.feed($0) }
        }
        let limit = isError ? AnswerTranslation.maximumErrorBytes : AnswerTranslation.maximumWholeAnswerBytes
        guard !tooLarge else { return [] }
        if collected.count + part.readableBytes > limit {
            tooLarge = !isError
            if isError { collected.append(contentsOf: part.readableBytesView.prefix(limit - collected.count)) }
            return []
        }
        collected.append(contentsOf: part.readableBytesView)
        return []
    }

    /// The upstream's body ended: the last bytes for a stream, or the whole answer with its status.
    mutating func finish() -> (status: Int, body: [UInt8], failure: TranslationError?) {
        if var translator = stream {
            let out = translator.finish()
            stream = translator
            return (translator.failure == nil ? status : translator.answerStatus, out, translator.failure)
        }
        if isError {
            return (status, translation.exchange.translateError(collected, status: status), nil)
        }
        if tooLarge {
            let error = TranslationError(
                kind: .invalidUpstreamAnswer, field: nil,
                message: "upstream answer: larger than \(AnswerTranslation.maximumWholeAnswerBytes >> 20) MiB, too large to translate")
            return (502, error.body(for: translation.exchange.client), error)
        }
        do {
            return (status, try translation.exchange.translateAnswer(collected), nil)
        } catch {
            return (error.httpStatus, error.body(for: translation.exchange.client), error)
        }
    }

    /// The failure met so far in a translated stream.
    var streamFailure: TranslationError? { stream?.failure }
}
