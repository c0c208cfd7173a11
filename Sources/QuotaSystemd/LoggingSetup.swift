import Logging

/// Chooses where logs go: the journal when stderr is connected to it (running under systemd),
/// readable lines on stderr otherwise.
public enum LoggingSetup {
    /// Bootstraps swift-log once per process. `level` comes from `--log-level` / `$LOG_LEVEL`.
    public static func bootstrap(identifier: String, level: Logger.Level) {
        let journal = JournalLogHandler.stderrIsJournal()
        LoggingSystem.bootstrap { _ in
            if journal {
                var handler = JournalLogHandler(identifier: identifier)
                handler.logLevel = level
                return handler
            }
            var handler = StderrLogHandler(identifier: identifier)
            handler.logLevel = level
            return handler
        }
    }
}
