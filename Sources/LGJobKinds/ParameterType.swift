import Foundation

/// The type of a job parameter, as the text the job carries (`--set
/// NAME=VALUE`, or a grid's JSON value in `textParameters` form).
public enum ParameterType: Sendable, Equatable {
    /// Any non-empty text (a model name, a path).
    case text
    /// An integer at least `min`.
    case int(min: Int)
    /// A non-negative 64-bit integer (seeds).
    case seed
    /// Any finite number.
    case number
    /// A finite number greater than 0.
    case positive
    /// A finite number at least 0.
    case nonNegative
    /// 1/0 (also true/false, yes/no).
    case flag
    /// Comma-separated integers >= 0 (`layers`, `milestones`).
    case intList
    /// One of the listed words.
    case choice([String])
    /// Text that the job parses with its own grammar (`accumulation`), checked there.
    case pattern(String)

    /// What a valid value looks like, for error messages and `kinds`.
    public var expected: String {
        switch self {
        case .text: return "a non-empty text"
        case .int(let lo): return "an integer >= \(lo)"
        case .seed: return "an integer >= 0"
        case .number: return "a number"
        case .positive: return "a number > 0"
        case .nonNegative: return "a number >= 0"
        case .flag: return "1 or 0"
        case .intList: return "comma-separated integers >= 0"
        case .choice(let words): return words.count == 1 ? words[0] : "one of " + words.joined(separator: ", ")
        case .pattern(let p): return p
        }
    }

    /// The short type name of `coordinator kinds`.
    public var name: String {
        switch self {
        case .text: return "text"
        case .int(let lo): return "int>=\(lo)"
        case .seed: return "seed"
        case .number: return "number"
        case .positive: return "number>0"
        case .nonNegative: return "number>=0"
        case .flag: return "flag"
        case .intList: return "int list"
        case .choice(let w): return w.joined(separator: "|")
        case .pattern: return "text"
        }
    }

    public func accepts(_ v: String) -> Bool {
        switch self {
        case .text, .pattern: return !v.isEmpty
        case .int(let lo): return Int(v).map { $0 >= lo } ?? false
        case .seed: return UInt64(v) != nil
        case .number: return Double(v).map { $0.isFinite } ?? false
        case .positive: return Double(v).map { $0.isFinite && $0 > 0 } ?? false
        case .nonNegative: return Double(v).map { $0.isFinite && $0 >= 0 } ?? false
        case .flag: return Self.flagValue(v) != nil
        case .intList:
            let parts = v.split(separator: ",", omittingEmptySubsequences: false)
            return !parts.isEmpty && parts.allSatisfy { Int($0.trimmingCharacters(in: .whitespaces)).map { $0 >= 0 } ?? false }
        case .choice(let words): return words.contains(v)
        }
    }

    /// One spelling per value, for output names: numbers as Python prints
    /// a float (`0.5`, `1.0`, `1e-05`), integers and flags as digits, paths
    /// as their file name without extension, other text with `/` as `-`.
    public func canonical(_ v: String) -> String {
        switch self {
        case .number, .positive, .nonNegative: return Double(v).map { "\($0)" } ?? v
        case .int, .seed: return Int(v).map(String.init) ?? UInt64(v).map(String.init) ?? v
        case .flag: return Self.flagValue(v).map { $0 ? "1" : "0" } ?? v
        case .text where v.contains("/"):
            return URL(fileURLWithPath: v).deletingPathExtension().lastPathComponent
        case .text, .pattern, .choice, .intList:
            return v.replacingOccurrences(of: "/", with: "-").replacingOccurrences(of: " ", with: "")
        }
    }

    static func flagValue(_ v: String) -> Bool? {
        switch v.lowercased() {
        case "1", "true", "yes": return true
        case "0", "false", "no": return false
        default: return nil
        }
    }
}
