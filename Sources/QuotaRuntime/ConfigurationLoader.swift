import Foundation
import QuotaCore
import QuotaState

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
    ///
    /// The file must be a regular file (a symbolic link to one is followed) of at most 1 MiB; a
    /// FIFO or device is refused without being opened, so a reload can never hang on it.
    public func load() throws(ConfigurationError) -> QuotaProxyConfiguration {
        let parser = ConfigurationParser(environment: environment)
        let contents: StateFileReader.Contents?
        do {
            contents = try StateFileReader.read(path: path, limit: StateFileReader.configurationFileLimit, policy: .followingLinks)
        } catch {
            throw ConfigurationError(file: path, problems: [ConfigurationProblem(key: "(file)", message: Self.reason(error))])
        }
        guard let contents else {
            if isExplicit {
                throw ConfigurationError(
                    file: path, problems: [ConfigurationProblem(key: "(file)", message: "does not exist")])
            }
            return try parser.parse(data: nil, file: nil)
        }
        return try parser.parse(data: contents.bytes, file: path)
    }

    /// The problem without the path (``ConfigurationError`` names the file already).
    static func reason(_ error: StateFileError) -> String {
        switch error {
        case .notRegularFile(_, let kind): "is \(kind), not a regular file"
        case .tooLarge(_, let size, let limit): "is \(size) bytes, over the \(StateFileError.byteText(limit)) limit"
        case .unreadable(_, let code): "cannot be read: \(StateFileError.message(code))"
        default: error.description
        }
    }
}
