import Testing

@testable import QuotaTranslation

@Suite struct JSONTests {
    @Test func keepsKeyOrderAndNumberText() throws {
        let input = #"{"b":1.10,"a":[true,false,null],"c":{"z":-0.5e+10,"y":12345678901234567890}}"#
        let value = try JSONParser.parse(input)
        #expect(value.serialized == input)
    }

    @Test func decodesEscapesAndSurrogates() throws {
        let input = #""a\"b\\c\/d\n\t\u00e9\ud83d\ude00\u0001 \ud800x""#
        let value = try JSONParser.parse(input)
        #expect(value.stringValue == "a\"b\\c/d\n\té😀\u{01} \u{FFFD}x")
        #expect(value == .string("a\"b\\c/d\n\té😀\u{01} \u{FFFD}x"))
        // A parsed string is written back as it came; a Swift string is escaped where JSON requires it.
        #expect(value.serialized == input)
        #expect(JSON.string("a\"b\\c/d\n\té😀\u{01}").serialized == #""a\"b\\c/d\n\té😀\u0001""#)
    }

    @Test func rejectsInvalidUTF8() throws {
        for bad: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xE2, 0x82, 0x22],
                             [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22]] {
            #expect(throws: JSONParseError.self, "\(bad)") { try JSONParser.parse(bad) }
        }
        #expect(try JSONParser.parse([0x22, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80, 0x22]).stringValue == "€😀")
    }

    @Test func textsCompareByContent() throws {
        let parsed = try JSONParser.parse(#"["caf\u00e9","café","x"]"#)
        let texts = (parsed.arrayValue ?? []).compactMap { $0.textValue }
        try #require(texts.count == 3)
        #expect(texts[0] == texts[1])
        #expect(texts[1] == JSONText("café"))
        #expect(texts[2] != texts[1])
        #expect(texts[0].appending(texts[2], separator: "-").string == "café-x")
    }

    @Test func rejectsMalformedInput() {
        for bad in ["", "{", "[1,]", "{\"a\" 1}", "01", "1.", "-", "\"abc", "tru", "{\"a\":1}x", "\"\u{01}\"", "[1 2]",
                    "{1:2}", "\"\\x\""] {
            #expect(throws: JSONParseError.self, "\(bad)") { try JSONParser.parse(bad) }
        }
    }

    @Test func boundsNesting() throws {
        let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep, maxDepth: 128) }
        _ = try JSONParser.parse(deep, maxDepth: 256)
    }

    @Test func integerValues() throws {
        #expect(try JSONParser.parse("3").intValue == 3)
        #expect(try JSONParser.parse("3.0").intValue == 3)
        #expect(try JSONParser.parse("3e2").intValue == 300)
        #expect(try JSONParser.parse("3.5").intValue == nil)
        #expect(try JSONParser.parse("\"3\"").intValue == nil)
    }

    @Test func writerPlacesCommas() {
        var writer = JSONWriter()
        writer.beginObject()
        writer.field("a", 1)
        writer.key("b")
        writer.beginArray()
        writer.int(-2)
        writer.beginObject()
        writer.endObject()
        writer.string("x")
        writer.endArray()
        writer.field("c", true)
        writer.endObject()
        #expect(text(writer.bytes) == #"{"a":1,"b":[-2,{},"x"],"c":true}"#)
    }
}

@Suite struct SSEParserTests {
    private func events(_ chunks: [String], max: Int = 1 << 20) throws -> [SSEParser.Event] {
        var parser = SSEParser(maxEventBytes: max)
        var events: [SSEParser.Event] = []
        for chunk in chunks {
            try Array(chunk.utf8).withUnsafeBytes { buffer in try parser.feed(buffer) { events.append($0) } }
        }
        try parser.finish { events.append($0) }
        return events
    }

    @Test func parsesLineEndingsCommentsAndMultilineData() throws {
        let result = try events([": comment\r\nevent: a\r\ndata: 1\r\ndata:2\r\n\r\ndata: x\n\ndata: y\r\rid: 5\nretry: 1\ndata: z\n\n"])
        #expect(result == [
            SSEParser.Event(name: "a", data: Array("1\n2".utf8)),
            SSEParser.Event(name: nil, data: Array("x".utf8)),
            SSEParser.Event(name: nil, data: Array("y".utf8)),
            SSEParser.Event(name: nil, data: Array("z".utf8)),
        ])
    }

    @Test func crAndLfInSeparatePieces() throws {
        let result = try events(["data: a\r", "\n\r", "\ndata: b\r\n\r\n"])
        #expect(result.map { text($0.data) } == ["a", "b"])
    }

    @Test func deliversAnUnterminatedLastEventAtFinish() throws {
        #expect(try events(["data: last"]).map { text($0.data) } == ["last"])
    }

    @Test func capsEventSize() {
        #expect(throws: TranslationError.self) {
            _ = try events(["data: " + String(repeating: "x", count: 100), "\n\n"], max: 50)
        }
        #expect(throws: TranslationError.self) {
            _ = try events(["data: " + String(repeating: "x", count: 30) + "\ndata: " + String(repeating: "y", count: 30) + "\n\n"], max: 50)
        }
    }
}
