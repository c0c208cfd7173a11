import Foundation

@testable import QuotaCore

/// Configuration suites parse JSON text as the file `/etc/quota-proxy/config.json`.
protocol ConfigurationParsing {}

extension ConfigurationParsing {
    func parse(_ json: String, environment: [String: String] = [:]) throws(ConfigurationError) -> QuotaProxyConfiguration {
        try ConfigurationParser(environment: environment).parse(data: Data(json.utf8), file: "/etc/quota-proxy/config.json")
    }

    /// The problems the parser reports for `json` (none when it parses).
    func problems(_ json: String, environment: [String: String] = [:]) -> [ConfigurationProblem] {
        do {
            _ = try parse(json, environment: environment)
            return []
        } catch {
            return error.problems
        }
    }
}
