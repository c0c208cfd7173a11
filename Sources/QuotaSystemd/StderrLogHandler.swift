import Foundation
import Logging

/// A swift-log handler that writes one readable line per entry to stderr:
/// `2026-11-22T13:00:00Z info quota-proxy: protected claude-sonnet-4-5 on acc-2 account=acc-2`.
public struct StderrLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let identifier: String

    public init(identifier: String) {
        self.identifier = identifier
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        var line = "\(Date().formatted(.iso8601)) \(event.level) \(identifier): \(event.message)"
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            line += " \(key)=\(LogRedaction.redact(key: key, value: value))"
        }
        line += "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }
}
