import Foundation
import LGWire

/// A job's stored JSON parameters as the text the tables check and the
/// executors read: numbers without trailing zeros, lists comma-joined,
/// booleans 1/0.
public func textParameters(_ params: [String: JSONValue]) -> [String: String] {
    func text(_ v: JSONValue) -> String {
        switch v {
        case .null: return ""
        case .bool(let b): return b ? "1" : "0"
        case .int(let i): return String(i)
        case .double(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
        case .string(let s): return s
        case .array(let a): return a.map(text).joined(separator: ",")
        case .object: return v.description
        }
    }
    return params.mapValues(text)
}

extension KindTable {
    /// Validates a queued job's JSON parameters.
    public func validate(json params: [String: JSONValue]) throws -> KindParameters {
        try validate(textParameters(params))
    }
}
