import Foundation
import QuotaCore

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
    public func load() throws(ConfigurationError) -> QuotaProxyConfiguration {
        let parser = ConfigurationParser(environment: environment)
        guard FileManager.default.fileExists(atPath: path) else {
            if isExplicit {
                throw ConfigurationError(
                    file: path, problems: [ConfigurationProblem(key: "(file)", message: "does not exist")])
            }
            return try withKeyFile(parser.parse(data: nil, file: nil), file: nil)
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConfigurationError(
                file: path,
                problems: [ConfigurationProblem(key: "(file)", message: "cannot be read: \(error.localizedDescription)")])
        }
        return try withKeyFile(parser.parse(data: data, file: path), file: path)
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

    /// The bytes of a key file: opened without blocking (a FIFO or device is refused, not waited
    /// on), checked to be a regular file, read up to one byte past the cap so an oversized file is
    /// reported as such.
    static func readKeyFile(_ path: String) throws(ConfigurationError) -> [UInt8] {
        func failure(_ message: String) -> ConfigurationError {
            ConfigurationError(
                file: nil, problems: [ConfigurationProblem(key: "client_api_keys_file", message: "\(path) \(message)")])
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT {
                throw failure("does not exist; create it with one client key per line, or set client_api_keys_file to null")
            }
            var message = "cannot be opened: \(String(cString: strerror(code)))"
            if code == EACCES {
                message += " (the services run as user quota-proxy: make it readable by group quota-proxy, e.g. root:quota-proxy mode 0640)"
            }
            throw failure(message)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw failure("cannot be examined: \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw failure("is not a regular file")
        }
        guard info.st_size <= off_t(ClientKeyFile.maxBytes) else {
            throw failure("is larger than \(ClientKeyFile.maxBytes) bytes; it must hold one client key per line")
        }
        var bytes = [UInt8](repeating: 0, count: ClientKeyFile.maxBytes + 1)
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes { buffer in
                read(fd, buffer.baseAddress! + filled, buffer.count - filled)
            }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw failure("cannot be read: \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            filled += count
        }
        bytes.removeSubrange(filled...)
        return bytes
    }
}
