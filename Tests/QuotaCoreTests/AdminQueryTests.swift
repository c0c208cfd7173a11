import Foundation
import Testing

@testable import QuotaCore

@Suite("Admin API queries")
struct AdminQueryTests {
    let now = Date(timeIntervalSince1970: 1_795_000_000)

    @Test func queryStringsAreDecoded() throws {
        let query = try QueryString(parsing: "since=1h&model=gpt%2D4o+mini&status=5xx&empty=&model=last")
        #expect(query["since"] == "1h")
        #expect(query["model"] == "last")
        #expect(query["empty"] == nil)
        #expect(query.names == ["since", "model", "status", "empty", "model"])
        #expect(try QueryString(parsing: "")["x"] == nil)
        #expect(QueryString.decode("a%2fb+c") == "a/b c")
        #expect(QueryString.decode("%zz") == nil)
        #expect(QueryString.decode("%ff") == nil, "not UTF-8")
        #expect(throws: QueryString.Problem.tooLong) { try QueryString(parsing: Substring(String(repeating: "a", count: 5000))) }
        #expect(throws: QueryString.Problem.tooManyItems) {
            try QueryString(parsing: Substring((0..<40).map { "p\($0)=1" }.joined(separator: "&")))
        }
        #expect(throws: QueryString.Problem.self) { try QueryString(parsing: "model=%E2%28") }
    }

    @Test func theCLIsFiltersAndDefaults() throws {
        let query = try RequestLogQuery(
            QueryString(parsing: "since=2h&until=2026-11-18T20%3A00%3A00Z&model=m&account=acc-1&status=429&kind=warmup&limit=20"),
            export: false, now: now)
        #expect(query.filter.since == now.addingTimeInterval(-7200))
        #expect(query.filter.until == RequestLogTime.parse("2026-11-18T20:00:00Z"))
        #expect(query.filter.model == "m" && query.filter.account == "acc-1")
        #expect(query.filter.status == .exact(429) && query.filter.kind == .warmup)
        #expect(query.limit == 20 && query.format == nil)
        #expect(try RequestLogQuery(QueryString(parsing: ""), export: false, now: now).limit == 50)
        #expect(try RequestLogQuery(QueryString(parsing: "limit=0"), export: false, now: now).limit == RequestLogQuery.maximumLimit)
        #expect(try RequestLogQuery(QueryString(parsing: "limit=99999"), export: false, now: now).limit == RequestLogQuery.maximumLimit)
        let export = try RequestLogQuery(QueryString(parsing: "format=csv&status=5xx"), export: true, now: now)
        #expect(export.format == .csv && export.limit == RequestLogQuery.maximumExport && export.filter.status == .statusClass(5))
    }

    @Test(arguments: [
        ("since=yesterday", false, "since"), ("until=soon", false, "until"), ("status=600", false, "status"),
        ("kind=batch", false, "kind"), ("limit=-1", false, "limit"), ("limit=ten", false, "limit"), ("modle=x", false, "modle"),
        ("format=xml", true, "format"), ("", true, "format"),
    ])
    func badParametersAreNamed(query: String, export: Bool, parameter: String) throws {
        let parameters = try QueryString(parsing: Substring(query))
        #expect(throws: RequestLogQuery.Problem.self) { try RequestLogQuery(parameters, export: export, now: now) }
        do {
            _ = try RequestLogQuery(parameters, export: export, now: now)
        } catch {
            #expect(error.parameter == parameter)
        }
    }
}
