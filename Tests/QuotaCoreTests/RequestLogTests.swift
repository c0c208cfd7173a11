import Foundation
import Testing

@testable import QuotaCore

/// A fixed instant with milliseconds: 2026-11-22T16:47:00.123Z.
private let sampleTime = Date(timeIntervalSince1970: 1_795_366_020.123)

private func sampleRecord(
    id: String = "m3k9x2-0-17", time: Date = sampleTime, model: String? = "gpt-4o-mini", account: String? = "acc-2",
    status: Int = 200, kind: RequestRecord.Kind = .proxy
) -> RequestRecord {
    RequestRecord(
        id: id, time: time, kind: kind, clientKey: "sk-c…1234", wireProtocol: "openai", route: "/v1/chat/completions",
        model: model, mappedModel: "gpt-4o-mini-2024", group: "gpt-4o-mini", account: account,
        attempts: [
            .init(account: "acc-1", outcome: "quota_exhausted", status: 429, durationMs: 12.5),
            .init(account: account ?? "acc-3", outcome: "ok", status: 200, durationMs: 310.25),
        ],
        status: status, durationMs: 323.1, ttfbMs: 120.4, stream: true, inputTokens: 25, outputTokens: 310)
}

@Suite("Request log records, filters and exports")
struct RequestLogTests {
    // MARK: - Record encoding

    @Test func jsonLineUsesTheSchemaKeysAndMillisecondTimes() throws {
        var record = sampleRecord()
        record.upstreamProtocol = "anthropic"
        let line = record.jsonLine()
        #expect(line.hasPrefix(#"{"id":"m3k9x2-0-17","time":"2026-11-22T16:47:00.123Z","kind":"proxy","client_key":"sk-c…1234","client_protocol":"openai","upstream_protocol":"anthropic","route":"/v1/chat/completions","model":"gpt-4o-mini","mapped_model":"gpt-4o-mini-2024","group":"gpt-4o-mini","account":"acc-2","attempts":[{"account":"acc-1","outcome":"quota_exhausted","status":429,"duration_ms":12.5},"#))
        #expect(line.hasSuffix(#""status":200,"duration_ms":323.1,"ttfb_ms":120.4,"stream":true,"input_tokens":25,"output_tokens":310}"#))
        #expect(!line.contains("\n"))
        #expect(!line.contains("error") && !line.contains("request_body"), "absent optionals are left out")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(Set(object.keys) == [
            "id", "time", "kind", "client_key", "client_protocol", "upstream_protocol", "route", "model", "mapped_model", "group", "account", "attempts",
            "status", "duration_ms", "ttfb_ms", "stream", "input_tokens", "output_tokens",
        ])
    }

    @Test func jsonLineAndCodableRoundTrip() throws {
        var record = sampleRecord()
        record.error = "upstream said \"no\"\nline two\t\u{01} é 😀 \\ /"
        record.requestBody = #"{"model":"gpt-4o-mini"}"#
        record.responseBody = "data: {}\n\n"
        let decoded = try JSONDecoder().decode(RequestRecord.self, from: Data(record.jsonLine().utf8))
        #expect(decoded == record)
        let viaEncoder = try JSONDecoder().decode(RequestRecord.self, from: JSONEncoder().encode(record))
        #expect(viaEncoder == record)
        #expect(record.jsonLine().contains(#"\u0001"#))
    }

    @Test func minimalRecordRoundTripsWithoutOptionals() throws {
        let record = RequestRecord(id: "w-1", time: sampleTime, kind: .warmup, wireProtocol: "anthropic", route: "/v1/messages", status: 502, durationMs: 0)
        let line = record.jsonLine()
        #expect(line == #"{"id":"w-1","time":"2026-11-22T16:47:00.123Z","kind":"warmup","client_protocol":"anthropic","route":"/v1/messages","attempts":[],"status":502,"duration_ms":0.0,"stream":false}"#)
        #expect(try JSONDecoder().decode(RequestRecord.self, from: Data(line.utf8)) == record)
    }

    /// Log lines written by 0.1 name the client's protocol `protocol`; they still read.
    @Test func linesOfVersion01WithProtocolKeyStillRead() throws {
        let line = #"{"id":"w-1","time":"2026-11-22T16:47:00.123Z","kind":"warmup","protocol":"anthropic","route":"/v1/messages","attempts":[],"status":502,"duration_ms":0.0,"stream":false}"#
        let record = try JSONDecoder().decode(RequestRecord.self, from: Data(line.utf8))
        #expect(record.wireProtocol == "anthropic")
        #expect(record.upstreamProtocol == nil)
    }

    @Test func timesAreKeptToTheMillisecondAndParsedWithOrWithoutFraction() throws {
        let record = sampleRecord(time: Date(timeIntervalSince1970: 1_795_366_020.123_456))
        #expect(RequestLogTime.format(record.time) == "2026-11-22T16:47:00.123Z")
        #expect(RequestLogTime.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(RequestLogTime.format(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59.500Z")
        #expect(RequestLogTime.parse("2026-11-22T16:47:00Z") == Date(timeIntervalSince1970: 1_795_366_020))
        #expect(RequestLogTime.parse("2026-11-22T18:47:00.5+02:00") == Date(timeIntervalSince1970: 1_795_366_020.5))
        #expect(RequestLogTime.parse("yesterday") == nil)
        let line = #"{"id":"a","time":"2026-11-22T16:47:00Z","kind":"proxy","protocol":"openai","route":"/","status":200,"duration_ms":1}"#
        let decoded = try JSONDecoder().decode(RequestRecord.self, from: Data(line.utf8))
        #expect(decoded.time == Date(timeIntervalSince1970: 1_795_366_020))
        #expect(decoded.attempts.isEmpty && decoded.stream == false)
        let bad = line.replacingOccurrences(of: "2026-11-22T16:47:00Z", with: "noon")
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(RequestRecord.self, from: Data(bad.utf8)) }
    }

    @Test func durationsAreWrittenToTheMicrosecondAndNeverAsInvalidJSON() throws {
        var record = sampleRecord()
        record.durationMs = 1.234_567_8
        record.ttfbMs = .nan
        let line = record.jsonLine()
        #expect(line.contains(#""duration_ms":1.235,"#))
        #expect(line.contains(#""ttfb_ms":0,"#))
        #expect(try JSONDecoder().decode(RequestRecord.self, from: Data(line.utf8)).ttfbMs == 0)
    }

    @Test func numbersAreWrittenAsSwiftWouldPrintThem() {
        func written(_ body: (inout JSONLineBuilder) -> Void) -> String {
            var builder = JSONLineBuilder(bytes: [])
            body(&builder)
            return String(decoding: builder.bytes, as: UTF8.self)
        }
        // Durations: the value rounded to thousandths, printed like Double.description.
        var generator = SystemRandomNumberGenerator()
        var samples: [Double] = [0, -0.0, 0.0004, 0.0005, 0.001, 0.01, 0.1, 1, 12.5, 310, 999.9995, 1_000_000.25, -1.5, 123_456_789.125]
        for _ in 0..<2000 { samples.append(Double.random(in: 0..<5_000_000, using: &generator)) }
        for _ in 0..<500 { samples.append(Double.random(in: 0..<2, using: &generator)) }
        for value in samples {
            let rounded = (value * 1000).rounded() / 1000
            let expected = (rounded == 0 ? 0 : rounded).description
            #expect(written { $0.milliseconds(value) } == expected, "\(value)")
        }
        #expect(written { $0.milliseconds(.infinity) } == "0")
        #expect(written { $0.milliseconds(1e300) } == (1e300 as Double).description)
        for value in [0, 7, 10, 429, -5, 1_000_000, Int.max, Int.min] {
            #expect(written { $0.integer(value) } == String(value))
        }
        // Strings: copied as they are unless they need escapes.
        #expect(written { $0.string("acc-1_ok") } == #""acc-1_ok""#)
        #expect(written { $0.string("a\"b\\c\nd\u{1}é") } == #""a\"b\\c\nd\u0001é""#)
    }

    // MARK: - Filter

    @Test func emptyFilterMatchesEverything() {
        #expect(RequestLogFilter().matches(sampleRecord()))
        #expect(RequestLogFilter().isEmpty)
    }

    @Test func eachCriterionFilters() {
        let record = sampleRecord()
        #expect(RequestLogFilter(since: sampleTime).matches(record))
        #expect(!RequestLogFilter(since: sampleTime.addingTimeInterval(0.001)).matches(record))
        #expect(RequestLogFilter(until: sampleTime).matches(record))
        #expect(!RequestLogFilter(until: sampleTime.addingTimeInterval(-1)).matches(record))
        #expect(RequestLogFilter(model: "gpt-4o-mini").matches(record))
        #expect(RequestLogFilter(model: "gpt-4o-mini-2024").matches(record), "the mapped model counts too")
        #expect(!RequestLogFilter(model: "claude-sonnet-4-5").matches(record))
        #expect(RequestLogFilter(account: "acc-2").matches(record))
        #expect(RequestLogFilter(account: "acc-1").matches(record), "an account that was only tried counts")
        #expect(!RequestLogFilter(account: "acc-9").matches(record))
        #expect(RequestLogFilter(status: .exact(200)).matches(record))
        #expect(!RequestLogFilter(status: .exact(429)).matches(record))
        #expect(RequestLogFilter(status: .statusClass(2)).matches(record))
        #expect(!RequestLogFilter(status: .statusClass(5)).matches(record))
        #expect(RequestLogFilter(kind: .proxy).matches(record))
        #expect(!RequestLogFilter(kind: .warmup).matches(record))
        #expect(!RequestLogFilter(model: "gpt-4o-mini", account: "acc-9").matches(record), "all criteria must match")
    }

    @Test(arguments: [("429", RequestLogFilter.StatusMatch.exact(429)), ("5xx", .statusClass(5)), ("4XX", .statusClass(4)), (" 2xx ", .statusClass(2))])
    func statusParses(text: String, expected: RequestLogFilter.StatusMatch) throws {
        #expect(try RequestLogFilter.StatusMatch(parsing: text) == expected)
    }

    @Test(arguments: ["", "42", "4290", "6xx", "0xx", "x29", "4x9", "abc", "-42"])
    func badStatusTeachesTheForms(text: String) {
        #expect(throws: RequestLogFilterError.badStatus(text)) { try RequestLogFilter.StatusMatch(parsing: text) }
        #expect(RequestLogFilterError.badStatus(text).description.contains("429"))
        #expect(RequestLogFilterError.badStatus(text).description.contains("5xx"))
    }

    @Test func sinceAcceptsDurationsAndRFC3339() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(try RequestLogFilter.parseTime("30s", now: now) == now.addingTimeInterval(-30))
        #expect(try RequestLogFilter.parseTime("15m", now: now) == now.addingTimeInterval(-900))
        #expect(try RequestLogFilter.parseTime("1h", now: now) == now.addingTimeInterval(-3600))
        #expect(try RequestLogFilter.parseTime("2d", now: now) == now.addingTimeInterval(-172_800))
        #expect(try RequestLogFilter.parseTime("0s", now: now) == now)
        #expect(try RequestLogFilter.parseTime("2026-11-22T16:47:00Z", now: now) == Date(timeIntervalSince1970: 1_795_366_020))
        #expect(try RequestLogFilter.parseTime("2026-11-22T16:47:00.123Z", now: now) == sampleTime)
    }

    @Test(arguments: ["", "h", "1w", "-5m", "+5m", "1.5h", "one hour", "2026-13-01T00:00:00Z", "99999999999999999d"])
    func badSinceTeachesTheForms(text: String) {
        #expect(throws: RequestLogFilterError.badTime(text)) { try RequestLogFilter.parseTime(text, now: Date()) }
        let message = RequestLogFilterError.badTime(text).description
        #expect(message.contains("30s") && message.contains("1h") && message.contains("2d") && message.contains("RFC 3339"))
    }

    // MARK: - Export

    @Test func jsonlIsOneStorageLinePerRecord() throws {
        let records = [sampleRecord(id: "a"), sampleRecord(id: "b", status: 503)]
        let text = RequestLogExport.jsonl(records)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 3 && lines[2].isEmpty, "each line ends with a line break")
        #expect(String(lines[0]) == records[0].jsonLine())
        #expect(try JSONDecoder().decode(RequestRecord.self, from: Data(lines[1].utf8)) == records[1])
        #expect(RequestLogExport.jsonl([]) == "")
    }

    @Test func csvHasTheHeaderAttemptsAndRFC4180Quoting() {
        var tricky = sampleRecord(id: "b")
        tricky.error = "upstream said \"slow down\", then\nclosed"
        tricky.ttfbMs = nil
        tricky.inputTokens = nil
        tricky.requestBody = "SECRET-BODY"
        let csv = RequestLogExport.csv([sampleRecord(id: "a"), tricky])
        let rows = csv.components(separatedBy: "\r\n")
        #expect(rows[0] == "id,time,kind,client_key,client_protocol,upstream_protocol,route,model,mapped_model,group,account,attempts,status,duration_ms,ttfb_ms,stream,input_tokens,output_tokens,error")
        #expect(rows[1] == "a,2026-11-22T16:47:00.123Z,proxy,sk-c…1234,openai,,/v1/chat/completions,gpt-4o-mini,gpt-4o-mini-2024,gpt-4o-mini,acc-2,acc-1:quota_exhausted;acc-2:ok,200,323.1,120.4,true,25,310,")
        #expect(rows[2] == "b,2026-11-22T16:47:00.123Z,proxy,sk-c…1234,openai,,/v1/chat/completions,gpt-4o-mini,gpt-4o-mini-2024,gpt-4o-mini,acc-2,acc-1:quota_exhausted;acc-2:ok,200,323.1,,true,,310,\"upstream said \"\"slow down\"\", then\nclosed\"")
        #expect(rows.count == 4 && rows[3].isEmpty)
        #expect(!csv.contains("SECRET-BODY"), "bodies are not exported to CSV")
        #expect(RequestLogExport.csvColumns.count == rows[0].split(separator: ",").count)
    }
}
