import Foundation
import QuotaCore
import Testing

@Suite("Model list bodies")
struct ModelListBodyTests {
    static func json(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    @Test func anthropicShapeHasTypeDisplayNameAndPaging() throws {
        let list = try Self.json(ModelListBody.anthropicList(["claude-sonnet-4-5", "gpt-\"4o\""]))
        let data = try #require(list["data"] as? [[String: Any]])
        #expect(data.count == 2)
        #expect(data[0]["type"] as? String == "model")
        #expect(data[0]["id"] as? String == "claude-sonnet-4-5")
        #expect(data[0]["display_name"] as? String == "claude-sonnet-4-5")
        #expect(data[0]["created_at"] as? String == "1970-01-01T00:00:00Z")
        #expect(data[1]["id"] as? String == #"gpt-"4o""#, "names are escaped")
        #expect(list["has_more"] as? Bool == false)
        #expect(list["first_id"] as? String == "claude-sonnet-4-5")
        #expect(list["last_id"] as? String == #"gpt-"4o""#)

        let empty = try Self.json(ModelListBody.anthropicList([]))
        #expect((empty["data"] as? [Any])?.isEmpty == true)
        #expect(empty["first_id"] is NSNull && empty["last_id"] is NSNull)

        let one = try Self.json(ModelListBody.anthropicModel("claude-sonnet-4-5"))
        #expect(one["type"] as? String == "model" && one["id"] as? String == "claude-sonnet-4-5")
    }

    @Test func openAIAndGeminiShapes() throws {
        let list = try Self.json(ModelListBody.openAIList(["gpt-4o-mini"]))
        #expect(list["object"] as? String == "list")
        #expect((list["data"] as? [[String: Any]])?.first?["object"] as? String == "model")
        #expect(try Self.json(ModelListBody.openAIModel("gpt-4o-mini"))["id"] as? String == "gpt-4o-mini")
        #expect(try Self.json(ModelListBody.geminiModel("gemini-2.5-flash"))["name"] as? String == "models/gemini-2.5-flash")
    }
}
