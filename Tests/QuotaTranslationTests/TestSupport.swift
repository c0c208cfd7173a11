import Testing

@testable import QuotaTranslation

/// Parses JSON text (test fixtures are valid; a parse failure fails the test).
func json(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> JSON {
    do {
        return try JSONParser.parse(text)
    } catch {
        Issue.record("fixture is not JSON: \(error)\n\(text)", sourceLocation: sourceLocation)
        return .null
    }
}

func json(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> JSON {
    do {
        return try JSONParser.parse(bytes)
    } catch {
        Issue.record("output is not JSON: \(error)\n\(String(decoding: bytes, as: UTF8.self))", sourceLocation: sourceLocation)
        return .null
    }
}

func text(_ bytes: [UInt8]) -> String {
    String(decoding: bytes, as: UTF8.self)
}

/// Equality of JSON values ignoring the order of object members (arrays keep their order).
func sameJSON(_ lhs: JSON, _ rhs: JSON) -> Bool {
    switch (lhs, rhs) {
    case (.object(let a), .object(let b)):
        guard a.count == b.count else { return false }
        for field in a.fields {
            guard let other = b[field.key], sameJSON(field.value, other) else { return false }
        }
        return true
    case (.array(let a), .array(let b)):
        return a.count == b.count && zip(a, b).allSatisfy { sameJSON($0, $1) }
    case (.number(let a), .number(let b)):
        return a == b || (Double(a) != nil && Double(a) == Double(b))
    default:
        return lhs == rhs
    }
}

/// Expects `actual` (JSON bytes) to equal `expected` (JSON text), member order aside.
func expectJSON(_ actual: [UInt8], _ expected: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let actualValue = json(actual, sourceLocation: sourceLocation)
    let expectedValue = json(expected, sourceLocation: sourceLocation)
    let equal = sameJSON(actualValue, expectedValue)
    #expect(equal, "\nactual:   \(actualValue.serialized)\nexpected: \(expectedValue.serialized)", sourceLocation: sourceLocation)
}

/// The events of an SSE byte stream, each as (event name, data parsed as JSON or the raw text).
struct SSERecord: Equatable, CustomStringConvertible {
    var name: String?
    var data: String

    var value: JSON? { try? JSONParser.parse(data) }

    var description: String { (name.map { "event: \($0) " } ?? "") + "data: " + data }
}

func sseRecords(_ bytes: [UInt8]) -> [SSERecord] {
    var parser = SSEParser(maxEventBytes: 1 << 30)
    var records: [SSERecord] = []
    bytes.withUnsafeBytes { buffer in
        try? parser.feed(buffer) { event in records.append(SSERecord(name: event.name, data: text(event.data))) }
        try? parser.finish { event in records.append(SSERecord(name: event.name, data: text(event.data))) }
    }
    return records
}

/// Expects the SSE output to be these events, each data compared as JSON (member order aside).
func expectSSE(_ actual: [UInt8], _ expected: [(name: String?, data: String)],
               sourceLocation: SourceLocation = #_sourceLocation) {
    let records = sseRecords(actual)
    #expect(records.count == expected.count,
            "expected \(expected.count) events, got \(records.count):\n\(records.map(\.description).joined(separator: "\n"))",
            sourceLocation: sourceLocation)
    for (index, (record, want)) in zip(records, expected).enumerated() {
        #expect(record.name == want.name, "event \(index) name", sourceLocation: sourceLocation)
        if want.data == "[DONE]" {
            #expect(record.data == "[DONE]", "event \(index): \(record.data)", sourceLocation: sourceLocation)
            continue
        }
        let wantValue = json(want.data, sourceLocation: sourceLocation)
        guard let got = record.value else {
            Issue.record("event \(index) data is not JSON: \(record.data)", sourceLocation: sourceLocation)
            continue
        }
        let equal = sameJSON(got, wantValue)
        #expect(equal, "event \(index)\nactual:   \(got.serialized)\nexpected: \(wantValue.serialized)",
                sourceLocation: sourceLocation)
    }
}

/// Runs a stream translator over `input` delivered in one piece, returns all its output.
func translateStream(_ exchange: Exchange, _ input: [UInt8]) -> [UInt8] {
    var stream = exchange.makeStreamTranslator()
    var output = stream.feed(input)
    output += stream.finish()
    return output
}

/// Feeds `input` split in two at every byte position (and in single bytes) and expects the same
/// output as in one piece.
func expectSplitInvariant(_ exchange: Exchange, _ input: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
    let whole = translateStream(exchange, input)
    var mismatches = 0
    for split in 0...input.count {
        var stream = exchange.makeStreamTranslator()
        var output = stream.feed(Array(input[..<split]))
        output += stream.feed(Array(input[split...]))
        output += stream.finish()
        if output != whole {
            mismatches += 1
            if mismatches == 1 {
                Issue.record("split at \(split) gives different output:\n\(text(output))\n---\n\(text(whole))",
                             sourceLocation: sourceLocation)
            }
        }
    }
    var stream = exchange.makeStreamTranslator()
    var output: [UInt8] = []
    for byte in input { output += stream.feed([byte]) }
    output += stream.finish()
    #expect(output == whole, "byte-by-byte feeding differs", sourceLocation: sourceLocation)
    #expect(mismatches == 0, sourceLocation: sourceLocation)
}

func parameters(_ model: String, stream: Bool? = nil, kind: ExchangeKind = .generate, project: String? = nil,
                streamUpstream: Bool = false) -> RequestParameters {
    RequestParameters(kind: kind, upstreamModel: model, clientStreams: stream, project: project, requestID: "req1",
                      created: 1_700_000_000, streamUpstream: streamUpstream)
}

/// Translates a request, failing the test on an error.
func translate(_ body: String, from client: ClientDialect, to upstream: UpstreamDialect, _ parameters: RequestParameters,
               options: TranslationOptions = TranslationOptions(),
               sourceLocation: SourceLocation = #_sourceLocation) -> TranslatedRequest? {
    do {
        return try Translator(client: client, upstream: upstream, options: options)
            .translateRequest(Array(body.utf8), parameters)
    } catch {
        Issue.record("translation failed: \(error.message)", sourceLocation: sourceLocation)
        return nil
    }
}

/// The error a translation throws, or `nil` (recorded as a failure) when it succeeds.
func translationError(_ body: String, from client: ClientDialect, to upstream: UpstreamDialect,
                      _ parameters: RequestParameters, sourceLocation: SourceLocation = #_sourceLocation) -> TranslationError? {
    do {
        let result = try Translator(client: client, upstream: upstream).translateRequest(Array(body.utf8), parameters)
        Issue.record("expected an error, got \(text(result.body))", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}
