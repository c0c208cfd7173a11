import Foundation
import Testing
@testable import QuotaCore

@Suite struct AntigravityParserTests {
    @Test func parsesModelsSortedWithPercentageAndReset() throws {
        let data = json("""
            {"models":{
              "gemini-3-flash":{"quotaInfo":{"remainingFraction":0.8,"resetTime":"2026-11-22T18:00:00Z"}},
              "claude-sonnet-4-5":{"quotaInfo":{"remainingFraction":0.07,"resetTime":"2026-11-22T18:00:00.123Z"}},
              "full":{"quotaInfo":{"remainingFraction":1}}
            }}
            """)
        let models = try QuotaSnapshotParser.parseAntigravity(data).get()
        #expect(models.map(\.name) == ["claude-sonnet-4-5", "full", "gemini-3-flash"])
        #expect(models.map(\.percentage) == [7, 100, 80])
        #expect(models[2].resetTime == Timestamp.parse("2026-11-22T18:00:00Z"))
        #expect(models[0].resetTime != nil)
        #expect(models[1].resetTime == nil)
    }

    @Test func modelWithoutQuotaInfoIsSkipped() throws {
        let data = json(#"{"models":{"a":{"displayName":"A"},"b":{"quotaInfo":null},"c":{"quotaInfo":{"remainingFraction":0.5}}}}"#)
        let models = try QuotaSnapshotParser.parseAntigravity(data).get()
        #expect(models.map(\.name) == ["c"])
    }

    @Test func missingRemainingFractionMeansExhausted() throws {
        let data = json(#"{"models":{"x":{"quotaInfo":{"resetTime":"2026-11-22T18:00:00Z"}}}}"#)
        let models = try QuotaSnapshotParser.parseAntigravity(data).get()
        #expect(models == [ModelQuota(name: "x", percentage: 0, resetTime: Timestamp.parse("2026-11-22T18:00:00Z"))])
    }

    @Test func emptyResetTimeIsUnknown() throws {
        let models = try QuotaSnapshotParser.parseAntigravity(
            json(#"{"models":{"x":{"quotaInfo":{"remainingFraction":0.5,"resetTime":""}}}}"#)
        ).get()
        #expect(models.first?.resetTime == nil)
    }

    @Test func emptyModelsIsValid() throws {
        #expect(try QuotaSnapshotParser.parseAntigravity(json(#"{"models":{}}"#)).get().isEmpty)
    }

    @Test func fractionAboveOneIsRejected() {
        let result = QuotaSnapshotParser.parseAntigravity(
            json(#"{"models":{"gpt-4o":{"quotaInfo":{"remainingFraction":1.7}}}}"#))
        guard case .failure(let error) = result else { Issue.record("expected failure"); return }
        #expect(error.description == "models.gpt-4o.quotaInfo.remainingFraction must be between 0 and 1, got 1.7")
        #expect(error.path == "models.gpt-4o.quotaInfo.remainingFraction")
    }

    @Test func negativeFractionIsRejected() {
        let result = QuotaSnapshotParser.parseAntigravity(json(#"{"models":{"m":{"quotaInfo":{"remainingFraction":-0.1}}}}"#))
        #expect(throws: QuotaSnapshotError.self) { try result.get() }
    }

    @Test func floatNoiseAboveOneIsClamped() throws {
        let models = try QuotaSnapshotParser.parseAntigravity(
            json(#"{"models":{"m":{"quotaInfo":{"remainingFraction":1.0000000000001}}}}"#)
        ).get()
        #expect(models.first?.percentage == 100)
    }

    @Test func wrongTypesAreNamed() {
        func error(_ text: String) -> String? {
            if case .failure(let error) = QuotaSnapshotParser.parseAntigravity(json(text)) { return error.description }
            return nil
        }
        #expect(error(#"{"models":{"m":{"quotaInfo":{"remainingFraction":"0.5"}}}}"#)
            == "models.m.quotaInfo.remainingFraction must be a number, got a string")
        #expect(error(#"{"models":{"m":{"quotaInfo":{"remainingFraction":true}}}}"#)
            == "models.m.quotaInfo.remainingFraction must be a number, got a boolean")
        #expect(error(#"{"models":{"m":{"quotaInfo":[1]}}}"#) == "models.m.quotaInfo must be an object, got a list")
        #expect(error(#"{"models":{"m":"x"}}"#) == "models.m must be an object, got a string")
        #expect(error(#"{"models":[]}"#) == "models must be an object, got a list")
        #expect(error(#"{"other":1}"#) == "models is missing")
        #expect(error(#"[1,2]"#) == "(answer) must be a JSON object, got a list")
        #expect(error(#"{"models":{"m":{"quotaInfo":{"remainingFraction":0.5,"resetTime":"tomorrow"}}}}"#)
            == #"models.m.quotaInfo.resetTime must be an RFC 3339 time, got "tomorrow""#)
        #expect(error(#"{"models":{"m":{"quotaInfo":{"remainingFraction":0.5,"resetTime":false}}}}"#)
            == "models.m.quotaInfo.resetTime must be an RFC 3339 time or unix seconds, got a boolean")
    }

    @Test func notJSON() {
        for body in ["", "<html>502 Bad Gateway</html>", #"{"models":{"#] {
            let result = QuotaSnapshotParser.parseAntigravity(json(body))
            guard case .failure(.notJSON(let size)) = result else { Issue.record("expected notJSON for \(body)"); continue }
            #expect(size == body.utf8.count)
        }
        #expect(QuotaSnapshotError.notJSON(bodySize: 0).description == "answer is empty, expected a JSON object")
    }

    @Test func dispatchByKind() throws {
        let body = json(#"{"models":[{"name":"m","percentage":80}]}"#)
        #expect(try QuotaSnapshotParser.parse(body, kind: .quotaURL).get().count == 1)
        #expect(throws: QuotaSnapshotError.unsupportedSource(.headers)) {
            try QuotaSnapshotParser.parse(body, kind: .headers).get()
        }
    }
}

@Suite struct QuotaURLParserTests {
    @Test func parsesPercentageAndFraction() throws {
        let data = json("""
            {"models":[
              {"name":"z-model","percentage":80,"reset_time":"2026-11-22T18:00:00Z"},
              {"name":"a-model","remaining_fraction":0.29,"reset_time":null},
              {"name":"unix","percentage":12.5,"reset_time":1795370400}
            ]}
            """)
        let models = try QuotaSnapshotParser.parseQuotaURL(data).get()
        #expect(models.map(\.name) == ["a-model", "unix", "z-model"])
        #expect(models.map(\.percentage) == [29, 12.5, 80])
        #expect(models[0].resetTime == nil)
        #expect(models[1].resetTime == Date(timeIntervalSince1970: 1_795_370_400))
        #expect(models[2].resetTime == Timestamp.parse("2026-11-22T18:00:00Z"))
    }

    @Test func percentageWinsWhenBothPresent() throws {
        let models = try QuotaSnapshotParser.parseQuotaURL(
            json(#"{"models":[{"name":"m","percentage":40,"remaining_fraction":0.5}]}"#)
        ).get()
        #expect(models.first?.percentage == 40)
    }

    @Test func errorsNameTheField() {
        func error(_ text: String) -> String? {
            if case .failure(let error) = QuotaSnapshotParser.parseQuotaURL(json(text)) { return error.description }
            return nil
        }
        #expect(error(#"{"models":[{"name":"m","percentage":120}]}"#) == "models[0].percentage must be between 0 and 100, got 120")
        #expect(error(#"{"models":[{"name":"m","remaining_fraction":1.7}]}"#)
            == "models[0].remaining_fraction must be between 0 and 1, got 1.7")
        #expect(error(#"{"models":[{"name":"m","percentage":"80"}]}"#) == "models[0].percentage must be a number, got a string")
        #expect(error(#"{"models":[{"name":"m"}]}"#) == "models[0].percentage is missing")
        #expect(error(#"{"models":[{"percentage":5}]}"#) == "models[0].name is missing")
        #expect(error(#"{"models":[{"name":7,"percentage":5}]}"#) == "models[0].name must be a string, got a number")
        #expect(error(#"{"models":[{"name":"","percentage":5}]}"#) == "models[0].name must be a non-empty model name")
        #expect(error(#"{"models":[{"name":"m","percentage":5},{"name":"m","percentage":6}]}"#)
            == "models[1].name lists model m a second time")
        #expect(error(#"{"models":[{"name":"m","percentage":5}, 3]}"#) == "models[1] must be an object, got a number")
        #expect(error(#"{"models":{"m":{}}}"#) == "models must be a list, got an object")
        #expect(error(#"{"models":null}"#) == "models is missing")
        #expect(error(#"{"models":[{"name":"m","percentage":5,"reset_time":"soon"}]}"#)
            == #"models[0].reset_time must be an RFC 3339 time, got "soon""#)
        #expect(error("not json") == "answer is not valid JSON (8 bytes)")
    }

    @Test func oneBadEntryRejectsTheWholeAnswer() {
        let result = QuotaSnapshotParser.parseQuotaURL(json(#"{"models":[{"name":"good","percentage":50},{"name":"bad","percentage":-1}]}"#))
        #expect(throws: QuotaSnapshotError.self) { try result.get() }
    }
}

@Suite struct ModelRenameParsingTests {
    @Test func deprecatedModelIdsBecomeRenames() {
        let body = #"{"models":{},"deprecatedModelIds":{"gemini-3-pro-high":{"newModelId":"gemini-pro-agent"},"old-b":"new-b","same":"same","bad":7,"":"x"}}"#
        #expect(QuotaSnapshotParser.parseModelRenames(Data(body.utf8)) == ["gemini-3-pro-high": "gemini-pro-agent", "old-b": "new-b"])
        #expect(QuotaSnapshotParser.parseModelRenames(Data(#"{"models":{}}"#.utf8)).isEmpty)
        #expect(QuotaSnapshotParser.parseModelRenames(Data("not json".utf8)).isEmpty)
    }

    @Test func renamesApplyToTheUpstreamName() {
        var account = Account(id: "a", provider: .geminiCodeAssist, baseURL: "https://x.example", credentials: .apiKey("t"))
        account.modelRenames = ["old": "new"]
        #expect(account.upstreamName(of: "old") == "new")
        #expect(account.upstreamName(of: "other") == "other")
    }
}
