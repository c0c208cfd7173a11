import Logging
import Synchronization

/// Keeps every log line in memory, to check what the request path tells an operator.
final class LogRecorder: Sendable {
    private let lines = Mutex<[String]>([])

    var messages: [String] { lines.withLock { $0 } }

    func record(_ line: String) {
        lines.withLock { $0.append(line) }
    }

    var logger: Logger {
        Logger(label: "request-path-test") { _ in Handler(recorder: self) }
    }

    struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            recorder.record("\(event.level) \(event.message)")
        }
    }
}
