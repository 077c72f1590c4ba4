/// The content of a PyTorch checkpoint as plain data: numbers, strings,
/// lists, tuples, ordered dicts and tensors, with accessors for navigating
/// nested state dicts (`value["state_dict"]?["conv.weight"]?.tensor`) and
/// `flattenTensors()` for "a.b.c" keys.
public indirect enum TorchValue: Sendable {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case list([TorchValue])
    case tuple([TorchValue])
    /// Key/value pairs in insertion order (keys are usually strings, sometimes ints).
    case dict([(key: TorchValue, value: TorchValue)])
    case tensor(TorchTensor)

    /// The value under a string key of a dict (nil if not a dict or no such key).
    public subscript(key: String) -> TorchValue? {
        guard case let .dict(items) = self else { return nil }
        for (k, v) in items { if case let .string(s) = k, s == key { return v } }
        return nil
    }

    /// The element at an index of a list or tuple, or the value under an int key of a dict.
    public subscript(index: Int) -> TorchValue? {
        switch self {
        case let .list(xs), let .tuple(xs):
            return xs.indices.contains(index) ? xs[index] : nil
        case let .dict(items):
            for (k, v) in items { if case let .int(i) = k, i == index { return v } }
            return nil
        default:
            return nil
        }
    }

    public var tensor: TorchTensor? {
        if case let .tensor(t) = self { return t }
        return nil
    }

    /// The elements of a list or tuple.
    public var array: [TorchValue]? {
        switch self {
        case let .list(xs), let .tuple(xs): return xs
        default: return nil
        }
    }

    /// The pairs of a dict whose keys are all strings (nil otherwise).
    public var stringKeyedDict: [(key: String, value: TorchValue)]? {
        guard case let .dict(items) = self else { return nil }
        var out: [(key: String, value: TorchValue)] = []
        out.reserveCapacity(items.count)
        for (k, v) in items {
            guard case let .string(s) = k else { return nil }
            out.append((s, v))
        }
        return out
    }

    /// An int (or bool as 0/1).
    public var int: Int? {
        switch self {
        case let .int(i): return i
        case let .bool(b): return b ? 1 : 0
        default: return nil
        }
    }

    /// A float, int, or one-element tensor as Double.
    public var double: Double? {
        switch self {
        case let .float(d): return d
        case let .int(i): return Double(i)
        case let .tensor(t): return t.scalarValue
        default: return nil
        }
    }

    public var string: String? {
        if case let .string(s) = self { return s }
        return nil
    }

    public var bool: Bool? {
        if case let .bool(b) = self { return b }
        return nil
    }

    /// All tensors with dotted paths ("a.b.c"; list elements by index), in file order.
    /// A tensor at the root has the key "".
    public func flattenTensors() -> [(key: String, tensor: TorchTensor)] {
        var out: [(key: String, tensor: TorchTensor)] = []
        func walk(_ v: TorchValue, _ prefix: String) {
            func join(_ k: String) -> String { prefix.isEmpty ? k : prefix + "." + k }
            switch v {
            case let .tensor(t): out.append((prefix, t))
            case let .list(xs), let .tuple(xs):
                for (i, x) in xs.enumerated() { walk(x, join(String(i))) }
            case let .dict(items):
                for (k, x) in items { walk(x, join(k.keyDescription)) }
            default: break
            }
        }
        walk(self, "")
        return out
    }

    /// `flattenTensors()` as a dictionary (later duplicates win).
    public func flattenedTensorDict() -> [String: TorchTensor] {
        var d: [String: TorchTensor] = [:]
        for (k, t) in flattenTensors() { d[k] = t }
        return d
    }

    var keyDescription: String {
        switch self {
        case let .string(s): return s
        case let .int(i): return String(i)
        case let .bool(b): return b ? "True" : "False"
        case let .float(d): return String(d)
        case .none: return "None"
        default: return description
        }
    }
}

extension TorchValue: CustomStringConvertible {
    public var description: String {
        switch self {
        case .none: return "None"
        case let .bool(b): return b ? "True" : "False"
        case let .int(i): return String(i)
        case let .float(d): return String(d)
        case let .string(s): return "'\(s)'"
        case let .bytes(b): return "bytes(\(b.count))"
        case let .list(xs): return "[" + xs.map(\.description).joined(separator: ", ") + "]"
        case let .tuple(xs): return "(" + xs.map(\.description).joined(separator: ", ") + (xs.count == 1 ? ",)" : ")")
        case let .dict(items): return "{" + items.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
        case let .tensor(t): return t.description
        }
    }
}
