import LGTensor

/// A flat map from parameter names (PyTorch's dotted keys, e.g.
/// `main.3.weight`) to tensors: what a checkpoint holds and a model loads.
public struct StateDict: Sendable {
    public var tensors: [String: Tensor]
    /// Where the tensors came from, for error messages.
    public var source: String

    public init(_ tensors: [String: Tensor], source: String) {
        self.tensors = tensors
        self.source = source
    }

    /// The tensor under `key`, checked against the shape the model expects.
    public func require(_ key: String, shape: [Int]) throws -> Tensor {
        guard let t = tensors[key] else {
            throw ModelError.missingKey(key: key, expectedShape: shape, source: source)
        }
        guard t.shape == shape else {
            // A (C) vs (1, C, 1, 1) difference is a layout detail, not a mismatch.
            if t.count == Tensor.count(of: shape) && t.shape.filter({ $0 != 1 }) == shape.filter({ $0 != 1 }) {
                return t.reshaped(shape)
            }
            throw ModelError.shapeMismatch(key: key, expected: shape, found: t.shape, source: source)
        }
        return t
    }

    /// The shape stored under `key`, used to size a model from its checkpoint.
    public func shape(of key: String) throws -> [Int] {
        guard let t = tensors[key] else { throw ModelError.missingKey(key: key, expectedShape: nil, source: source) }
        return t.shape
    }

    /// Keys with a prefix removed (e.g. a `netG_state_dict.` wrapper).
    public func strippingPrefix(_ prefix: String) -> StateDict {
        var out: [String: Tensor] = [:]
        for (k, v) in tensors where k.hasPrefix(prefix) { out[String(k.dropFirst(prefix.count))] = v }
        return StateDict(out, source: source)
    }
}

/// Errors of building a model from its weights.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    case missingKey(key: String, expectedShape: [Int]?, source: String)
    case shapeMismatch(key: String, expected: [Int], found: [Int], source: String)
    case invalidConfig(String)
    case missingWeights(path: String, hint: String)

    public var description: String {
        switch self {
        case let .missingKey(key, shape, source):
            let s = shape.map { " of shape \($0)" } ?? ""
            return "\(source): no tensor '\(key)'\(s). The file is not a checkpoint of this architecture (or of this size); check --arch/--config, or that the file is the generator's state dict"
        case let .shapeMismatch(key, expected, found, source):
            return "\(source): tensor '\(key)' has shape \(found), the model expects \(expected). The config does not match the checkpoint (resolution, channels or latent size); fix the config or use the matching weights"
        case let .invalidConfig(msg):
            return "invalid model config: \(msg)"
        case let .missingWeights(path, hint):
            return "weight file not found: \(path). \(hint)"
        }
    }
}
