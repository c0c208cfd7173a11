import Foundation
import Testing

@testable import QuotaCore

/// `config check` locates invalid JSON by line and column (issue 15 item 4).
@Suite("JSON syntax errors")
struct JSONSyntaxErrorTests {
    func fault(_ text: String) -> JSONSyntaxError? {
        JSONSyntaxError.find(in: Array(text.utf8))
    }

    @Test func validDocumentsHaveNoFault() {
        for text in [#"{}"#, #" [1, -2.5e3, "a\"\u00e9", true, false, null, {"k": []}] "#, "\"é\"", "0"] {
            #expect(fault(text) == nil, "\(text)")
        }
    }

    @Test(arguments: [
        ("{\n  \"a\": 1\n  \"b\": 2\n}", 3, 3, "expected ',' or '}', found '\"'"),
        ("{\n  \"a\": tru\n}", 2, 8, "expected a value"),
        ("{\n  \"a\": [1, 2,]\n}", 2, 14, "a comma before ']'"),
        ("{\"a\": 1,\n}", 2, 1, "a comma before '}'"),
        ("{\n  a: 1}", 2, 3, "expected a key in double quotes, found 'a'"),
        ("{\"a\" 1}", 1, 6, "expected ':' after the key"),
        ("{\"a\": \"x\ty\"}", 1, 9, "a control character in a string"),
        ("{\"a\": \"é\\q\"}", 1, 9, "an unknown escape"),
        ("{\"a\": 01}", 1, 8, "expected ',' or '}', found '1'"),
        ("{\"a\": \"open", 1, 7, "the string starting here is not closed"),
        ("{\"a\": [1,", 1, 10, "the file ends where a value was expected"),
        ("{} x", 1, 4, "unexpected text after the end of the JSON value"),
    ])
    func faultsAreLocated(text: String, line: Int, column: Int, message: String) throws {
        let found = try #require(fault(text), "\(text)")
        #expect(found.line == line && found.column == column, "\(found)")
        #expect(found.message.contains(message), "\(found)")
        #expect(found.description.hasPrefix("line \(line), column \(column): "))
    }

    @Test func columnsCountCharactersNotBytes() throws {
        let found = try #require(fault("{\"ééé\": x}"))
        #expect(found.column == 9 && found.offset == 11)
    }

    @Test func deepNestingIsReportedNotRecursedInto() throws {
        let found = try #require(fault(String(repeating: "[", count: 100_000)))
        #expect(found.message.contains("nested deeper than"))
    }

    @Test func theConfigurationParserNamesLineAndColumn() {
        do {
            _ = try ConfigurationParser().parse(data: Data("{\n  \"listen\": {\"port\": 8080}\n  \"routing\": {}\n}".utf8), file: "/c.json")
            Issue.record("invalid JSON was accepted")
        } catch {
            #expect(error.problems.count == 1)
            #expect(error.problems.first?.message.hasPrefix("is not valid JSON: line 3, column 3: expected ',' or '}'") == true, "\(error)")
        }
    }
}
