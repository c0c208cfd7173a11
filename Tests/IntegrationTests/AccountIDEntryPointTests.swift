import Foundation
import Glibc
import QuotaCore
import QuotaTestSupport
import Testing

/// Every `quota-proxyctl` command that takes an account id refuses one that is not an id, as a
/// usage error (exit 2) naming the id and the allowed shape, before touching any file or socket.
@Suite("Account ids at the command line")
struct AccountIDEntryPointTests {
    @Test func pathLikeIDsAreUsageErrorsAndTouchNothing() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let state = try dir.subdirectory("state")
        _ = try dir.subdirectory("state/accounts")
        let run = try dir.subdirectory("run")
        let victim = state + "/victim.json"
        try Data("{\"victim\": true}".utf8).write(to: URL(fileURLWithPath: victim))
        let elsewhere = try dir.subdirectory("elsewhere")
        let outside = elsewhere + "/acc.json"
        let account = Account(id: "acc", provider: .openai, baseURL: "https://api.example.com", credentials: .apiKey("sk-outside-000001"))
        try JSONEncoder().encode(account).write(to: URL(fileURLWithPath: outside))
        chmod(outside, 0o644)
        let outsideBefore = try Data(contentsOf: URL(fileURLWithPath: outside))
        let keyFile = dir.path + "/key.txt"
        try Data("sk-new-key-0000001\n".utf8).write(to: URL(fileURLWithPath: keyFile))

        let where_ = ["--state-dir", state, "--runtime-dir", run]
        let cases: [(arguments: [String], id: String)] = [
            (["accounts", "remove", "../victim"], "../victim"),
            (["accounts", "disable", "../../elsewhere/acc"], "../../elsewhere/acc"),
            (["accounts", "enable", "../../elsewhere/acc"], "../../elsewhere/acc"),
            (["accounts", "add", "--id", "../x", "--provider", "openai", "--base-url", "https://a.example", "--api-key-file", keyFile], "../x"),
            (["clear-cooldown", "--account", "a/b"], "a/b"),
            (["warmup", "--account", ".hidden"], ".hidden"),
            (["refresh", "--account", "../victim"], "../victim"),
            (["quota", "--account", "../victim"], "../victim"),
            (["requests", "--account", "../victim"], "../victim"),
        ]
        // In parallel: each is a short process.
        let results = try await withThrowingTaskGroup(of: (Int, Int32?, String).self) { group in
            for (index, entry) in cases.enumerated() {
                group.addTask {
                    let process = try ServiceProcess(
                        "quota-proxyctl", arguments: entry.arguments + where_, logDirectory: dir.path)
                    let status = await process.waitForExit()
                    return (index, status, process.standardError)
                }
            }
            var results: [(Int, Int32?, String)] = []
            for try await result in group { results.append(result) }
            return results.sorted { $0.0 < $1.0 }
        }
        for (index, status, error) in results {
            let entry = cases[index]
            #expect(status == 2, "\(entry.arguments.joined(separator: " ")): exit \(String(describing: status)); \(error)")
            #expect(error.contains("invalid account id \"\(entry.id)\""), "\(entry.arguments.joined(separator: " ")): \(error)")
            #expect(error.contains(InvalidAccountID.allowedShape), "\(error)")
        }

        #expect(FileManager.default.fileExists(atPath: victim), "accounts remove '../victim' must not delete STATE/victim.json")
        #expect(try Data(contentsOf: URL(fileURLWithPath: outside)) == outsideBefore, "no file outside the folder is rewritten")
        var info = stat()
        stat(outside, &info)
        #expect(info.st_mode & 0o777 == 0o644, "no file outside the folder is chmodded")
        #expect(!FileManager.default.fileExists(atPath: state + "/x.json"))

        // `accounts import` checks every id of the file before writing any.
        let importFile = dir.path + "/import.json"
        var bad = account
        bad.id = "../../elsewhere/acc"
        try JSONEncoder().encode([account, bad]).write(to: URL(fileURLWithPath: importFile))
        let imported = try ServiceProcess("quota-proxyctl", arguments: ["accounts", "import", importFile] + where_, logDirectory: dir.path)
        #expect(await imported.waitForExit() == 2)
        #expect(imported.standardError.contains("invalid account id \"../../elsewhere/acc\""), "\(imported.standardError)")
        #expect(!FileManager.default.fileExists(atPath: state + "/accounts/acc.json"), "nothing is written when one id is bad")
        #expect(try Data(contentsOf: URL(fileURLWithPath: outside)) == outsideBefore)
    }
}
