/// One thing wrong with the configuration, naming the key (`routing.strategy`) and, when the value
/// came from the environment, the variable that set it.
public struct ConfigurationProblem: Sendable, Equatable, CustomStringConvertible {
    /// The dotted key path, e.g. `quota_protection.threshold_percentage`.
    public var key: String
    public var message: String
    /// The environment variable the value came from, if any.
    public var environmentVariable: String?

    public init(key: String, message: String, environmentVariable: String? = nil) {
        self.key = key
        self.message = message
        self.environmentVariable = environmentVariable
    }

    public var description: String {
        if let environmentVariable {
            return "\(key) (from $\(environmentVariable)): \(message)"
        }
        return "\(key): \(message)"
    }
}

/// The configuration could not be used; `description` is the message an operator sees.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The configuration file, when one was read.
    public var file: String?
    public var problems: [ConfigurationProblem]

    public init(file: String?, problems: [ConfigurationProblem]) {
        self.file = file
        self.problems = problems
    }

    public var description: String {
        let origin = file.map { "configuration \($0)" } ?? "configuration"
        if problems.count == 1 {
            return "\(origin): \(problems[0])"
        }
        return "\(origin) has \(problems.count) problems:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}
