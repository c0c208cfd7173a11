import Foundation
import QuotaCore
import QuotaState
import QuotaTestSupport
import Testing

/// One set of folder options for every `quota-proxyctl` command (issue 15 item 4), the missing
/// state folder said plainly, `config check` with every problem at once, and `--help` at 80 columns.
@Suite("quota-proxyctl options, config check and help")
struct CtlOptionsTests {
    struct Run {
        var status: Int32?
        var output: String
        var error: String
    }

    static func ctl(_ arguments: [String], in dir: TemporaryDirectory, environment: [String: String] = [:]) async throws -> Run {
        let process = try ServiceProcess("quota-proxyctl", arguments: arguments, environment: environment, logDirectory: dir.path)
        let status = await process.waitForExit()
        return Run(status: status, output: process.standardOutput, error: process.standardError)
    }

    /// Every command and subcommand, with the arguments it needs to get past parsing.
    static let commands: [[String]] = [
        ["status"], ["accounts"], ["accounts", "list"], ["accounts", "show", "acc-1"],
        ["accounts", "add", "--id", "acc-2", "--provider", "openai", "--base-url", "https://api.openai.com/v1", "--api-key", "sk-x-0001"],
        ["accounts", "remove", "acc-9"], ["accounts", "enable", "acc-9"], ["accounts", "disable", "acc-9"],
        ["accounts", "import", "{{EMPTY}}"], ["accounts", "test", "acc-1"], ["cooldowns"], ["clear-cooldown", "--account", "acc-1"],
        ["protection"], ["warmup"], ["warmup", "--plan"], ["refresh"], ["reload"], ["quota"], ["requests"], ["requests", "list"],
        ["requests", "show", "r-1"], ["config", "check"],
    ]

    @Test func everyCommandTakesTheThreeFolderOptions() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let state = StateDirectory(path: try dir.subdirectory("state"))
        try state.prepare()
        let runtime = try dir.subdirectory("run")
        let config = dir.path + "/config.json"
        try Data("{}".utf8).write(to: URL(fileURLWithPath: config))
        let empty = dir.path + "/none.json"
        try Data("[]".utf8).write(to: URL(fileURLWithPath: empty))
        for command in Self.commands.map({ $0.map { $0 == "{{EMPTY}}" ? empty : $0 } }) {
            let run = try await Self.ctl(
                command + ["--state-dir", state.path, "--runtime-dir", runtime, "--config", config], in: dir)
            #expect(run.status != 2, "\(command.joined(separator: " ")) refused a folder option: \(run.error)")
            #expect(!run.error.contains("Unknown option"), "\(command.joined(separator: " ")): \(run.error)")
        }
    }

    @Test func aMissingStateFolderIsAnErrorNamingItAndItsOrigin() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let missing = dir.path + "/no-such-state"
        for command in [["requests"], ["requests", "show", "r-1"], ["quota"], ["accounts", "show", "acc-1"], ["accounts", "remove", "acc-1"]] {
            let run = try await Self.ctl(command + ["--state-dir", missing], in: dir)
            #expect(run.status == 1, "\(command): \(run.output)")
            #expect(run.error.contains(missing) && run.error.contains("does not exist"), "\(command): \(run.error)")
            #expect(run.error.contains("from --state-dir"), "\(run.error)")
            #expect(!run.output.contains("no requests"), "\(run.output)")
        }
        let fromEnvironment = try await Self.ctl(["requests", "--json"], in: dir, environment: ["STATE_DIRECTORY": missing])
        #expect(fromEnvironment.status == 1)
        #expect(fromEnvironment.error.contains("from $STATE_DIRECTORY"), "\(fromEnvironment.error)")
        #expect(fromEnvironment.output.isEmpty, "no empty list: \(fromEnvironment.output)")
    }

    @Test(.enabled(if: !FileManager.default.fileExists(atPath: "/etc/quota-proxy/config.json")))
    func configCheckWithoutAFileSaysTheDefaultsApply() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let run = try await Self.ctl(["config", "check"], in: dir)
        #expect(run.status == 0, "\(run.error)")
        #expect(run.output.contains("no configuration file at /etc/quota-proxy/config.json"), "\(run.output)")
        #expect(run.output.contains("the defaults apply"), "\(run.output)")
        let json = try await Self.ctl(["config", "check", "--json"], in: dir)
        #expect(json.output.contains(#""exists" : false"#), "\(json.output)")
    }

    @Test func configCheckReportsTypeAndRangeProblemsAtOnce() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let file = dir.path + "/config.json"
        try Data(#"{"listen": {"port": "8080"}, "quota_protection": {"threshold_percentage": 150}, "routing": {"max_attempts": 0}}"#.utf8)
            .write(to: URL(fileURLWithPath: file))
        for arguments in [["config", "check", file], ["config", "check", "--config", file]] {
            let run = try await Self.ctl(arguments, in: dir)
            #expect(run.status == 1)
            #expect(run.error.contains("listen.port: must be a whole number"), "\(run.error)")
            #expect(run.error.contains("quota_protection.threshold_percentage: must be between 1 and 99"), "\(run.error)")
            #expect(run.error.contains("routing.max_attempts: must be between 1 and 20"), "\(run.error)")
        }
        let json = try await Self.ctl(["config", "check", file, "--json"], in: dir)
        #expect(json.output.components(separatedBy: "\"key\"").count - 1 == 3, "\(json.output)")
        let twice = try await Self.ctl(["config", "check", file, "--config", dir.path + "/other.json"], in: dir)
        #expect(twice.status == 2)
    }

    @Test func configCheckLocatesInvalidJSON() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let file = dir.path + "/config.json"
        try Data("{\n  \"listen\": {\n    \"port\": 8080\n  }\n  \"routing\": {}\n}\n".utf8).write(to: URL(fileURLWithPath: file))
        let run = try await Self.ctl(["config", "check", file], in: dir)
        #expect(run.status == 1)
        #expect(run.error.contains("line 5, column 3"), "\(run.error)")
        #expect(run.error.contains("expected ',' or '}'"), "\(run.error)")
    }

    /// A line of a paragraph that ends where the next word would still have fit was broken by
    /// hand: at another width it reads as ragged text. Greedy wrapping never leaves one.
    /// Lines ending in punctuation (a sentence, a list) and option/command lines are not judged.
    static func raggedLines(_ help: String, width: Int) -> [String] {
        let lines = help.components(separatedBy: "\n")
        var ragged: [String] = []
        for (line, next) in zip(lines, lines.dropFirst()) {
            let indent = line.prefix { $0 == " " }.count
            let nextIndent = next.prefix { $0 == " " }.count
            let text = line.trimmingCharacters(in: .whitespaces)
            let nextText = next.trimmingCharacters(in: .whitespaces)
            guard !text.isEmpty, !nextText.isEmpty, indent == nextIndent else { continue }
            guard !text.hasPrefix("-"), !nextText.hasPrefix("-"), !text.hasPrefix("quota-proxyctl") else { continue }
            guard let last = text.last, !".:;)\\".contains(last) else { continue }
            let firstWord = nextText.prefix { $0 != " " }
            // ArgumentParser wraps a column short of the width: flag what it would have joined.
            if line.count + 1 + firstWord.count < width - 1 { ragged.append(line) }
        }
        return ragged
    }

    @Test func helpReadsWellIn80Columns() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let paths: [[String]] = [
            ["status"], ["accounts"], ["accounts", "list"], ["accounts", "show"], ["accounts", "add"], ["accounts", "remove"],
            ["accounts", "enable"], ["accounts", "disable"], ["accounts", "import"], ["accounts", "test"], ["cooldowns"],
            ["clear-cooldown"], ["protection"], ["warmup"], ["refresh"], ["reload"], ["quota"], ["requests"], ["requests", "list"],
            ["requests", "show"], ["config"], ["config", "check"],
        ]
        for path in paths {
            let run = try await Self.ctl(path + ["--help"], in: dir, environment: ["COLUMNS": "80"])
            #expect(run.status == 0, "\(path)")
            for line in run.output.components(separatedBy: "\n") {
                #expect(line.count <= 80, "\(path.joined(separator: " ")) --help: \(line.count) columns: \(line)")
            }
            let ragged = Self.raggedLines(run.output, width: 80)
            #expect(ragged.isEmpty, "\(path.joined(separator: " ")) --help: \(ragged)")
        }
        let root = try await Self.ctl(["--help"], in: dir, environment: ["COLUMNS": "80"])
        #expect(Self.raggedLines(root.output, width: 80).isEmpty, "\(Self.raggedLines(root.output, width: 80))")
    }
}
