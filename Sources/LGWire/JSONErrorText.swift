import Foundation

/// Decoding errors of JSON files as a person reads them: where a syntax
/// error is (line and column), which key is missing or has the wrong type.
public enum JSONErrorText {
    /// Why `data` failed to decode into a type (`error` from `JSONDecoder`).
    public static func describe(_ error: Error, in data: Data) -> String {
        if let syntax = syntaxError(in: data) { return syntax }
        guard let e = error as? DecodingError else { return String(describing: error) }
        switch e {
        case .keyNotFound(let key, let c):
            return "missing key '\(key.stringValue)'" + at(c.codingPath)
        case .typeMismatch(let type, let c):
            return "expected \(kind(type))" + at(c.codingPath) + (c.debugDescription.isEmpty ? "" : " (\(c.debugDescription))")
        case .valueNotFound(let type, let c):
            return "expected \(kind(type)), found null" + at(c.codingPath)
        case .dataCorrupted(let c):
            return c.debugDescription + at(c.codingPath)
        @unknown default:
            return String(describing: e)
        }
    }

    /// The syntax error in `data` with its line and column, or nil when it
    /// is well-formed JSON.
    public static func syntaxError(in data: Data) -> String? {
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            return nil
        } catch {
            let text = ((error as NSError).userInfo["NSDebugDescription"] as? String) ?? String(describing: error)
            guard let r = text.range(of: #"character [0-9]+"#, options: .regularExpression),
                  let offset = Int(text[r].dropFirst("character ".count)) else { return "not valid JSON: \(text)" }
            let (line, column) = position(of: offset, in: data)
            return "not valid JSON at line \(line), column \(column): \(text)"
        }
    }

    /// 1-based line and column of byte `offset`.
    static func position(of offset: Int, in data: Data) -> (line: Int, column: Int) {
        var line = 1, column = 1
        for b in data.prefix(max(0, offset)) {
            if b == 0x0a { line += 1; column = 1 } else { column += 1 }
        }
        return (line, column)
    }

    static func at(_ path: [CodingKey]) -> String {
        guard !path.isEmpty else { return "" }
        let text = path.map { k in k.intValue.map { "[\($0)]" } ?? ".\(k.stringValue)" }.joined()
        return " at " + (text.hasPrefix(".") ? String(text.dropFirst()) : text)
    }

    static func kind(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type, is Double.Type: return "a number"
        case is Bool.Type: return "true or false"
        default:
            let name = String(describing: type)
            return name.hasPrefix("Array") ? "a list" : name.hasPrefix("Dictionary") ? "an object" : name
        }
    }
}
