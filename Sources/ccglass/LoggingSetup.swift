import Logging

/// Logs go to stderr, so stdout stays the wrapped agent's.
enum LoggingSetup {
    nonisolated(unsafe) private static var done = false

    static func bootstrap(level: String) {
        guard !done else { return }
        done = true
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = Logger.Level(rawValue: level) ?? .info
            return handler
        }
    }
}
