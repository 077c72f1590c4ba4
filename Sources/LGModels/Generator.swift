import Foundation
import LGTensor

/// How a latent for synthesis is made from z (experiments.md, "Latent strategies").
public enum LatentStrategy: String, Codable, Sendable, CaseIterable {
    /// wp = truncation(mapping(z)): w repeated to every layer, truncated on the first layers.
    case truncWP = "trunc-wp"
    /// wp = mapping(z) repeated to every layer.
    case notruncWP = "notrunc-wp"
    /// A different z (hence w) per synthesis layer, no truncation.
    case notruncMixWP = "notrunc-mixwp"
}

/// What every generator family offers: synthesis from a prepared latent, with
/// the feature maps the semantic extractors read.
///
/// The latent a generator synthesises from is z (N, zDim) for PGGAN and wp
/// (N, numLayers, wDim) for the StyleGAN family; `latent(fromZ:strategy:)`
/// prepares it from z, and `zShape(batch:strategy:)` says which z it takes.
public protocol Generator: AnyObject, ParameterContainer {
    /// Output image size (square).
    var resolution: Int { get }
    /// Image channels (3).
    var imageChannels: Int { get }
    /// Dimension of z.
    var zDim: Int { get }
    /// Channels of each feature map `synthesize(_, features: true)` returns.
    var featureChannels: [Int] { get }
    /// Spatial size of each feature map.
    var featureResolutions: [Int] { get }
    /// The network's tensors (parameters and buffers) by checkpoint key.
    var store: ParameterStore { get }

    /// Loads weights (a generator state dict, genforce keys), checking every
    /// key and shape; throws `ModelError` naming the key and the expected shape.
    func load(_ sd: StateDict) throws

    /// The shape of z that `latent(fromZ:strategy:)` takes for a batch.
    func zShape(batch: Int, strategy: LatentStrategy) -> [Int]

    /// The synthesis input prepared from z per `strategy` (PGGAN: z itself).
    func latent(fromZ z: Variable, strategy: LatentStrategy) -> Variable

    /// Image (N, C, R, R), and when `features` is true the feature maps.
    func synthesize(_ latent: Variable, features: Bool) -> (image: Variable, features: [Variable])
}

extension Generator {
    public var namedParameters: [(String, Parameter)] { store.namedParameters }

    /// Whether parameters record gradients (off by default).
    public var requiresParameterGradients: Bool {
        get { store.requiresGradients }
        set { store.requiresGradients = newValue }
    }

    /// The weights in checkpoint layout under their checkpoint keys.
    public func checkpointStateDict() -> [String: Tensor] { store.checkpointTensors() }

    /// Draws z ~ N(0, I) of the shape `strategy` needs and prepares the latent.
    public func sampleLatent(batch: Int, strategy: LatentStrategy = .truncWP,
                             using rng: inout SeededRandom) -> (z: Tensor, latent: Variable) {
        let z = rng.normalTensor(zShape(batch: batch, strategy: strategy))
        return (z, latent(fromZ: Variable(z), strategy: strategy))
    }

    /// Inference: image and features without recording a graph.
    public func generate(_ latent: Tensor, features: Bool = true) -> (image: Tensor, features: [Tensor]) {
        GradMode.withoutGradients {
            let r = synthesize(Variable(latent), features: features)
            return (r.image.value, r.features.map(\.value))
        }
    }
}

/// The StyleGAN family: mapping, truncation and synthesis callable separately.
public protocol StyleGenerator: Generator {
    var config: StyleGANConfig { get }
    /// Number of synthesis layers = entries of wp.
    var numLayers: Int { get }
    var wDim: Int { get }
    /// z (N, zDim) -> w (N, wDim) (or (N, numLayers*wDim) when repeat_w is false).
    func mapping(_ z: Variable) -> Variable
    /// w (N, wDim) or wp (N, numLayers, wDim) -> wp, truncated per the config.
    func truncation(_ w: Variable) -> Variable
    /// wp (N, numLayers, wDim) -> image and features.
    func synthesis(_ wp: Variable, features: Bool) -> (image: Variable, features: [Variable])
}

extension StyleGenerator {
    public var numLayers: Int { config.numLayers }
    public var wDim: Int { config.wSpaceDim }
    public var zDim: Int { config.zSpaceDim }
    public var resolution: Int { config.resolution }
    public var imageChannels: Int { config.imageChannels }

    public func synthesize(_ latent: Variable, features: Bool) -> (image: Variable, features: [Variable]) {
        synthesis(latent, features: features)
    }

    public func zShape(batch: Int, strategy: LatentStrategy) -> [Int] {
        strategy == .notruncMixWP ? [batch, numLayers, zDim] : [batch, zDim]
    }

    /// w repeated (or reshaped, when repeat_w is false) to (N, numLayers, wDim), untruncated.
    public func broadcastW(_ w: Variable) -> Variable {
        if w.value.rank == 3 { return w }
        let n = w.shape[0]
        if !config.repeatW { return w.reshaped([n, numLayers, wDim]) }
        return w.reshaped([n, 1, wDim]) * Variable(Tensor(repeating: 1, shape: [1, numLayers, 1]))
    }

    public func latent(fromZ z: Variable, strategy: LatentStrategy) -> Variable {
        switch strategy {
        case .truncWP:
            return truncation(mapping(z))
        case .notruncWP:
            return broadcastW(mapping(z))
        case .notruncMixWP:
            precondition(z.value.rank == 3 && z.shape[1] == numLayers,
                         "notrunc-mixwp needs z of shape (N, \(numLayers), \(zDim)), got \(z.shape)")
            precondition(config.repeatW, "notrunc-mixwp needs repeat_w")
            let n = z.shape[0]
            return mapping(z.reshaped([n * numLayers, zDim])).reshaped([n, numLayers, wDim])
        }
    }
}

extension StyleGenerator {
    /// Seeded random weights as genforce initialises them (raw weights
    /// N(0, 1), mapping weights N(0, 1/lr_multiplier^2), so the run-time
    /// scales make every layer well conditioned): for tests and smoke runs.
    public func randomizeWeights(seed: UInt64) {
        store.randomize(seed: seed)
        for (k, v) in store.namedParameters where k.hasPrefix("mapping.") && k.hasSuffix(".fc.weight") {
            store.set(k, v.value.scaled(100))
        }
    }
}

extension PGGANGenerator {
    /// Seeded random weights (raw N(0, 1), biases N(0, 0.1)): for tests and smoke runs.
    public func randomizeWeights(seed: UInt64) { store.randomize(seed: seed) }
}
