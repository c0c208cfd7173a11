import Foundation
import Testing

@testable import QuotaCore

@Suite("Client key file")
struct ClientKeyFileTests {
    let file = "/etc/quota-proxy/client-keys"

    func keys(_ text: String) throws(ConfigurationError) -> [String] {
        try ClientKeyFile.parse(Array(text.utf8), file: file)
    }

    func problems(_ text: String) -> [ConfigurationProblem] {
        do {
            _ = try keys(text)
            return []
        } catch {
            return error.problems
        }
    }

    @Test func oneKeyPerLineWithCommentsAndBlankLines() throws {
        let text = """
            # Client API keys of quota-proxy, one per line.

            qp-0123456789abcdef\r
              sk-second-key\t
            # qp-commented-out
            qp-0123456789abcdef
            last-key-without-newline
            """
        #expect(try keys(text) == ["qp-0123456789abcdef", "sk-second-key", "last-key-without-newline"])
        #expect(try keys("").isEmpty)
        #expect(try keys("# only a comment\n\n").isEmpty)
    }

    @Test(arguments: [
        ("good-key\nbad key here\n", "line 2", "a space inside the key"),
        ("ok\n\u{01}ctrl\n", "line 2", "not visible ASCII"),
        ("clé-secrète\n", "line 1", "not visible ASCII"),
        ("k\n" + String(repeating: "x", count: ClientKeyFile.maxKeyLength + 1), "line 2", "longer than"),
    ])
    func badLinesAreNamedByNumberWithoutTheKey(text: String, line: String, reason: String) {
        let found = problems(text)
        #expect(found.count == 1)
        let message = found.first?.description ?? ""
        #expect(found.first?.key == "client_api_keys_file")
        #expect(message.contains(file) && message.contains(line) && message.contains(reason), "\(message)")
        for secret in ["bad key here", "ctrl", "clé", "xxxxxxxx", "good-key"] {
            #expect(!message.contains(secret), "the message shows key text: \(message)")
        }
    }

    @Test func sizeAndCountAreBounded() {
        let large = String(repeating: "k", count: 100) + "\n"
        let tooLarge = String(repeating: large, count: ClientKeyFile.maxBytes / large.utf8.count + 1)
        #expect(problems(tooLarge).first?.message.contains("larger than \(ClientKeyFile.maxBytes) bytes") == true)
        let tooMany = (0...ClientKeyFile.maxKeys).map { "key-\($0)" }.joined(separator: "\n")
        #expect(problems(tooMany).first?.message.contains("at most \(ClientKeyFile.maxKeys)") == true)
        let enough = (1...ClientKeyFile.maxKeys).map { "key-\($0)" }.joined(separator: "\n")
        #expect(problems(enough).isEmpty)
    }

    @Test func theConfigurationNamesTheFileAndDefersTheEmptyCheck() throws {
        let parser = ConfigurationParser()
        let json = #"{"listen": {"host": "0.0.0.0"}, "client_api_keys": [], "client_api_keys_file": "/etc/quota-proxy/client-keys"}"#
        var config = try parser.parse(data: Data(json.utf8), file: "/etc/quota-proxy/config.json")
        #expect(config.clientAPIKeysFile == "/etc/quota-proxy/client-keys")
        #expect(config.clientAPIKeys.isEmpty)
        // No key in the file either: a listener beyond loopback is refused, naming the file key.
        var empty = config
        let problems = empty.addClientKeys([], fromFile: "/etc/quota-proxy/client-keys")
        #expect(problems.map(\.key) == ["client_api_keys_file"])
        #expect(problems.first?.message.contains("0.0.0.0") == true)
        #expect(config.addClientKeys(["b", "a", "b"], fromFile: "/etc/quota-proxy/client-keys").isEmpty)
        #expect(config.clientAPIKeys == ["b", "a"])
    }

    @Test func anAdminKeyInTheKeyFileIsRefusedByPosition() throws {
        var config = try ConfigurationParser().parse(
            data: Data(#"{"client_api_keys": ["c1"], "admin_api_keys": ["adm-1", "adm-2"]}"#.utf8), file: nil)
        let problems = config.addClientKeys(["c2", "adm-2"], fromFile: "/etc/quota-proxy/client-keys")
        #expect(problems.map(\.key) == ["admin_api_keys[1]"])
        #expect(problems.first?.message.contains("key 2 of /etc/quota-proxy/client-keys") == true)
        #expect(problems.first?.message.contains("adm-2") == false, "never the key itself")
        #expect(config.clientAPIKeys == ["c1", "c2"], "the admin key never becomes a client key")
    }

    @Test func fileKeysFollowTheConfigurationsOwnOnce() throws {
        var config = try ConfigurationParser().parse(data: Data(#"{"client_api_keys": ["qp-old", "admin"]}"#.utf8), file: nil)
        #expect(config.addClientKeys(["qp-old", "new"], fromFile: "/k").isEmpty)
        #expect(config.clientAPIKeys == ["qp-old", "admin", "new"])
    }

    @Test func theFileKeyComesFromTheEnvironmentTooAndMustBeAbsolute() throws {
        let fromEnvironment = try ConfigurationParser(environment: ["QUOTA_PROXY_CLIENT_API_KEYS_FILE": "/etc/qp/keys"])
            .parse(data: nil, file: nil)
        #expect(fromEnvironment.clientAPIKeysFile == "/etc/qp/keys")
        let cleared = try ConfigurationParser(environment: ["QUOTA_PROXY_CLIENT_API_KEYS_FILE": ""])
            .parse(data: Data(#"{"client_api_keys_file": "/etc/qp/keys"}"#.utf8), file: nil)
        #expect(cleared.clientAPIKeysFile == nil)
        #expect(throws: ConfigurationError.self) {
            try ConfigurationParser().parse(data: Data(#"{"client_api_keys_file": "client-keys"}"#.utf8), file: nil)
        }
        #expect(throws: ConfigurationError.self) {
            try ConfigurationParser().parse(data: Data(#"{"client_api_keys_file": 5}"#.utf8), file: nil)
        }
    }
}
