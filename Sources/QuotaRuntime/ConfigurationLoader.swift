import Foundation
import QuotaCore

/// Finds, reads and parses the configuration file.
///
/// The file is `--config`, else `$QUOTA_PROXY_CONFIG`, else `/etc/quota-proxy/config.json`. When the
/// default file does not exist every key takes its default; a file named explicitly must exist.
public struct ConfigurationLoader: Sendable, CustomStringConvertible {
    public static let defaultPath = "/etc/quota-proxy/config.json"

    /// The file that is read.
    public let path: String
    /// Whether the operator named the file (so its absence is an error).
    public let isExplicit: Bool
    let environment: [String: String]

    public init(flag: String?, environment: [String: String]) {
        if let flag, !flag.isEmpty {
            self.path = flag
            self.isExplicit = true
        } else if let fromEnvironment = environment["QUOTA_PROXY_CONFIG"], !fromEnvironment.isEmpty {
            self.path = fromEnvironment
            self.isExplicit = true
        } else {
            self.path = Self.defaultPath
            self.isExplicit = false
        }
        self.environment = environment
    }

    /// Names the file only: the environment may hold secrets (`API_TOKEN`) and must not reach a log.
    public var description: String { "ConfigurationLoader(\(path))" }

    /// Reads and validates the configuration. The error names the file, the key and the problem.
    public func load() throws(ConfigurationError) -> QuotaProxyConfiguration {
        let parser = ConfigurationParser(environment: environment)
        guard FileManager.default.fileExists(atPath: path) else {
            if isExplicit {
                throw ConfigurationError(
                    file: path, problems: [ConfigurationProblem(key: "(file)", message: "does not exist")])
            }
            return try parser.parse(data: nil, file: nil)
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConfigurationError(
                file: path,
                problems: [ConfigurationProblem(key: "(file)", message: "cannot be read: \(error.localizedDescription)")])
        }
        return try parser.parse(data: data, file: path)
    }
}
