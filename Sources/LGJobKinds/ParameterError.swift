import Foundation

/// Why a job's parameters were refused (at enqueue, or by the worker).
/// Every case is permanent: running the job again cannot help.
public enum ParameterError: Error, Equatable, CustomStringConvertible {
    case unknownKind(String, allowed: [String])
    case unknown(kind: String, names: [String], known: [String])
    case missing(kind: String, name: String)
    case invalid(kind: String, name: String, value: String, expected: String)
    case unknownPreset(kind: String, value: String, presets: [String])
    /// An executor asked for a parameter its kind's table does not declare,
    /// or as another type: the table and the executor disagree (a bug).
    case undeclared(kind: String, name: String, asked: String)

    public var description: String {
        switch self {
        case let .unknownKind(k, allowed):
            return "unknown job kind '\(k)'; allowed kinds: \(allowed.joined(separator: ", "))"
        case let .unknown(kind, names, known):
            return "unknown parameter\(names.count == 1 ? "" : "s") \(names.joined(separator: ", ")) for a \(kind) job; "
                + "known: \(known.joined(separator: ", ")) (`coordinator kinds \(kind)` describes each)"
        case let .missing(kind, name):
            return "a \(kind) job needs the parameter \(name) (--set \(name)=...)"
        case let .invalid(kind, name, value, expected):
            return "parameter \(name)=\(value) of a \(kind) job: expected \(expected)"
        case let .unknownPreset(kind, value, presets):
            return "a \(kind) job has no preset '\(value)'; presets: \(presets.joined(separator: ", "))"
        case let .undeclared(kind, name, asked):
            return "the \(kind) executor reads '\(name)' as \(asked), which its table (LGJobKinds/Kinds) does not declare so"
        }
    }
}
