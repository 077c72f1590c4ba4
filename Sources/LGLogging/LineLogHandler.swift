// A swift-log handler that writes one line per event to standard error, as
// text or as JSON (for log collectors).
import Foundation
import Logging

public struct LineLogHandler: LogHandler {
    public let label: String
    public let format: LogFormat
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    public init(label: String, format: LogFormat) { self.label = label; self.format = format }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let p = metadataProvider { all.merge(p.get(), uniquingKeysWith: { _, new in new }) }
        if let m = event.metadata { all.merge(m, uniquingKeysWith: { _, new in new }) }
        let line = LineLogHandler.format(format, date: Date(), level: event.level, label: label,
                                         message: event.message.description, metadata: all)
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    static let timestamp = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// The line of one event (pure: tested without a process).
    public static func format(_ format: LogFormat, date: Date, level: Logger.Level, label: String,
                              message: String, metadata: Logger.Metadata) -> String {
        let ts = timestamp.format(date)
        switch format {
        case .text:
            let meta = metadata.sorted { $0.key < $1.key }.map { " \($0.key)=\($0.value)" }.joined()
            return "\(ts) \(level) \(label): \(message)\(meta)"
        case .json:
            var fields: [String: Any] = ["ts": ts, "level": level.rawValue, "label": label, "message": message]
            for (k, v) in metadata where fields[k] == nil { fields[k] = jsonValue(v) }
            guard let d = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes]) else {
                return #"{"level":"error","message":"unencodable log event"}"#
            }
            return String(decoding: d, as: UTF8.self)
        }
    }

    static func jsonValue(_ v: Logger.Metadata.Value) -> Any {
        switch v {
        case .string(let s): return s
        case .stringConvertible(let c): return c.description
        case .array(let a): return a.map(jsonValue)
        case .dictionary(let d): return d.mapValues(jsonValue)
        }
    }
}
