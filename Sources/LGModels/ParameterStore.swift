import LGTensor

/// The named tensors of a network: learnable parameters and constant buffers,
/// each under its checkpoint key, with the shape the checkpoint must hold.
///
/// Layers look their tensors up by key at run time, so loading a checkpoint
/// or switching gradient tracking replaces the variables in one place.
/// genforce stores conv weights as (kh, kw, in, out); such entries are kept
/// in the layout the kernels use (see `Layout`) and converted on load/save.
public final class ParameterStore {
    /// How a tensor is kept relative to its checkpoint layout.
    public enum Layout: Sendable {
        /// As stored.
        case asStored
        /// (kh, kw, in, out) -> conv2d weight (out, in, kh, kw).
        case hwioToConv
        /// (kh, kw, in, out) -> conv_transpose2d weight (in, out, kh, kw).
        case hwioToConvTranspose
        /// (kh, kw, in, out) -> conv_transpose2d weight (in, out, kh, kw), spatially flipped.
        case hwioToConvTransposeFlipped

        func toModel(_ t: Tensor) -> Tensor {
            switch self {
            case .asStored: return t
            case .hwioToConv: return t.permuted([3, 2, 0, 1])
            case .hwioToConvTranspose: return t.permuted([2, 3, 0, 1])
            case .hwioToConvTransposeFlipped: return t.permuted([2, 3, 0, 1]).flippedSpatially()
            }
        }

        func toCheckpoint(_ t: Tensor) -> Tensor {
            switch self {
            case .asStored: return t
            case .hwioToConv: return t.permuted([2, 3, 1, 0])
            case .hwioToConvTranspose: return t.permuted([2, 3, 0, 1])
            case .hwioToConvTransposeFlipped: return t.flippedSpatially().permuted([2, 3, 0, 1])
            }
        }

        func modelShape(_ s: [Int]) -> [Int] {
            switch self {
            case .asStored: return s
            case .hwioToConv: return [s[3], s[2], s[0], s[1]]
            case .hwioToConvTranspose, .hwioToConvTransposeFlipped: return [s[2], s[3], s[0], s[1]]
            }
        }
    }

    public enum Kind: Sendable { case parameter, buffer }

    struct Entry {
        let key: String
        let checkpointShape: [Int]
        let layout: Layout
        let kind: Kind
        let optional: Bool
        var variable: Variable
    }

    private var entries: [Entry] = []
    private var index: [String: Int] = [:]

    /// Whether parameters record gradients (buffers never do). Off by default:
    /// the networks are used frozen; gradients to latents flow either way.
    public var requiresGradients: Bool = false {
        didSet {
            guard requiresGradients != oldValue else { return }
            for i in entries.indices where entries[i].kind == .parameter {
                entries[i].variable = Variable(entries[i].variable.value, requiresGrad: requiresGradients,
                                               name: entries[i].key)
            }
        }
    }

    public init() {}

    /// Declares a tensor. `initial` defaults to zeros (in the model layout).
    public func declare(_ key: String, shape: [Int], layout: Layout = .asStored, kind: Kind = .parameter,
                        optional: Bool = false, initial: Tensor? = nil) {
        precondition(index[key] == nil, "duplicate parameter key \(key)")
        let v = initial ?? Tensor(zeros: layout.modelShape(shape))
        precondition(v.shape == layout.modelShape(shape), "initial value of \(key): \(v.shape)")
        index[key] = entries.count
        entries.append(Entry(key: key, checkpointShape: shape, layout: layout, kind: kind, optional: optional,
                             variable: Variable(v, requiresGrad: kind == .parameter && requiresGradients, name: key)))
    }

    /// The variable under `key` (model layout).
    public subscript(_ key: String) -> Variable {
        guard let i = index[key] else { preconditionFailure("no parameter \(key)") }
        return entries[i].variable
    }

    public func contains(_ key: String) -> Bool { index[key] != nil }

    /// Replaces the value under `key` (model layout, same shape).
    public func set(_ key: String, _ value: Tensor) {
        guard let i = index[key] else { preconditionFailure("no parameter \(key)") }
        precondition(value.shape == entries[i].variable.shape, "set \(key): \(value.shape) vs \(entries[i].variable.shape)")
        let e = entries[i]
        entries[i].variable = Variable(value, requiresGrad: e.kind == .parameter && requiresGradients, name: key)
    }

    /// Learnable parameters with their checkpoint keys (values in model layout).
    public var namedParameters: [(String, Variable)] {
        entries.filter { $0.kind == .parameter }.map { ($0.key, $0.variable) }
    }

    /// Every tensor with its checkpoint key and the checkpoint's shape.
    public var declaredShapes: [(String, [Int])] { entries.map { ($0.key, $0.checkpointShape) } }

    /// Loads every declared tensor from `sd` (keys under `prefix`), checking shapes.
    /// Optional entries that are absent keep their value.
    public func load(_ sd: StateDict, prefix: String = "") throws {
        var loaded: [Tensor] = []
        loaded.reserveCapacity(entries.count)
        for e in entries {
            let key = prefix + e.key
            if e.optional && sd.tensors[key] == nil { loaded.append(e.variable.value); continue }
            let t = try sd.require(key, shape: e.checkpointShape)
            loaded.append(e.layout.toModel(t))
        }
        for i in entries.indices { set(entries[i].key, loaded[i]) }
    }

    /// All tensors in checkpoint layout, keyed as in the checkpoint.
    public func checkpointTensors(prefix: String = "") -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for e in entries { out[prefix + e.key] = e.layout.toCheckpoint(e.variable.value).reshaped(e.checkpointShape) }
        return out
    }

    /// Fills parameters with seeded random values for tests and smoke runs:
    /// weights (rank >= 2) N(0, 1) as genforce initialises them (the run-time
    /// weight scale makes that well conditioned), biases N(0, 0.1) and
    /// buffers N(0, 1) (noise maps) unless `keepBuffers`.
    public func randomize(seed: UInt64, keepBuffers: Set<String> = []) {
        var rng = SeededRandom(seed: seed)
        // Scalar buffers (`lod`) are settings, not noise: they keep their value.
        for e in entries where !keepBuffers.contains(e.key) && !(e.kind == .buffer && e.checkpointShape.isEmpty) {
            let s = e.variable.shape
            let t: Tensor
            switch e.kind {
            case .parameter: t = rng.normalTensor(s, std: s.count >= 2 ? 1 : 0.1)
            case .buffer: t = rng.normalTensor(s)
            }
            set(e.key, t)
        }
    }
}
