import Foundation
import QuotaCore
import QuotaState

/// Finds, reads and parses the configuration file.
///
/// The file is `--config`, else `$QUOTA_PROXY_CONFIG`, else `/etc/quota-proxy/config.json`. When the
/// default file does not exist every key takes its default; a file named explicitly must exist.
/// When the configuration names a `client_api_keys_file`, its keys join `client_api_keys`.
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
            return try withKeyFile(parser.parse(data: nil, file: nil), file: nil)
        }
        return try withKeyFile(parser.parse(data: contents.bytes, file: path), file: path)
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

    /// The configuration with the keys of its `client_api_keys_file` added. The file must be a
    /// regular file of at most ``ClientKeyFile/maxBytes``; problems name it, never a key.
    private func withKeyFile(
        _ configuration: QuotaProxyConfiguration, file: String?
    ) throws(ConfigurationError) -> QuotaProxyConfiguration {
        guard let keyFile = configuration.clientAPIKeysFile else { return configuration }
        var configuration = configuration
        let problems: [ConfigurationProblem]
        do {
            let keys = try ClientKeyFile.parse(Self.readKeyFile(keyFile), file: keyFile)
            problems = configuration.addClientKeys(keys, fromFile: keyFile)
        } catch {
            problems = error.problems
        }
        guard problems.isEmpty else {
            let source = environment[ConfigurationParser.environmentVariable(for: "client_api_keys_file")] == nil
                ? nil : ConfigurationParser.environmentVariable(for: "client_api_keys_file")
            throw ConfigurationError(
                file: file,
                problems: problems.map { problem in
                    var problem = problem
                    problem.environmentVariable = source
                    return problem
                })
        }
        return configuration
    }

    /// The bytes of a key file: a regular file (a FIFO or device is refused, never waited on) of at
    /// most ``ClientKeyFile/maxBytes``, read like every state file.
    static func readKeyFile(_ path: String) throws(ConfigurationError) -> [UInt8] {
        func failure(_ message: String) -> ConfigurationError {
            ConfigurationError(
                file: nil, problems: [ConfigurationProblem(key: "client_api_keys_file", message: "\(path) \(message)")])
        }
        let contents: StateFileReader.Contents?
        do {
            contents = try StateFileReader.read(path: path, limit: ClientKeyFile.maxBytes, policy: .followingLinks)
        } catch {
            var message = reason(error)
            if case .unreadable(_, let code) = error, code == EACCES {
                message += " (the services run as user quota-proxy: make it readable by group quota-proxy, e.g. root:quota-proxy mode 0640)"
            }
            throw failure(message)
        }
        guard let contents else {
            throw failure("does not exist; create it with one client key per line, or set client_api_keys_file to null")
        }
        return Array(contents.bytes)
    }
}
