// Logging for the daemons (coordinator serve, worker): swift-log, set up once
// per process from --log-level and --log-format.
import ArgumentParser
import Foundation
import Logging

/// How log lines are written to standard error.
public enum LogFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// `2026-12-04T17:38:33Z info coordinator: message key=value`
    case text
    /// One JSON object a line: ts, level, label, message and the metadata.
    case json
}

public struct LogOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Lowest level logged: trace, debug, info, notice, warning, error, critical.",
                               valueName: "level"))
    public var logLevel: Logger.Level = .info

    @Option(help: ArgumentHelp("Log line format: text or json.", valueName: "format"))
    public var logFormat: LogFormat = .text

    public init() {}

    /// Bootstraps swift-log for this process (once; later calls keep the
    /// first set-up) and returns a logger labelled `label`.
    public func bootstrap(_ label: String, minimum: Logger.Level? = nil) -> Logger {
        let level = minimum.map { Swift.min($0, logLevel) } ?? logLevel
        let format = logFormat
        LogSetup.once {
            LoggingSystem.bootstrap { label in
                var h = LineLogHandler(label: label, format: format)
                h.logLevel = level
                return h
            }
        }
        var l = Logger(label: label)
        l.logLevel = level
        return l
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

enum LogSetup {
    private static let done = NSLock()
    nonisolated(unsafe) private static var bootstrapped = false
    static func once(_ body: () -> Void) {
        done.lock(); defer { done.unlock() }
        if !bootstrapped { bootstrapped = true; body() }
    }
}
