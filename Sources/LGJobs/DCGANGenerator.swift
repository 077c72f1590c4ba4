import LGTensor
import LGModels

/// The DCGAN faces generator behind the `Generator` interface, so that the
/// registry and the jobs handle it like the paper's generators. Latents are
/// z (N, nz); features are the four ReLU outputs.
public final class DCGANGenerator: Generator {
    public private(set) var net: DCGAN
    /// Empty: DCGAN keeps its own tensors (see `namedParameters`).
    public let store = ParameterStore()

    public init(stateDict sd: StateDict) throws { net = try DCGAN(stateDict: sd) }

    public var namedParameters: [(String, Parameter)] { net.namedParameters }
    public var resolution: Int { net.resolution }
    public var imageChannels: Int { net.channels.last ?? 3 }
    public var zDim: Int { net.latentDim }
    public var featureChannels: [Int] { net.featureChannels }
    public var featureResolutions: [Int] { [4, 8, 16, 32] }

    /// Replaces the network by one built from `sd`.
    public func load(_ sd: StateDict) throws { net = try DCGAN(stateDict: sd) }

    public func zShape(batch: Int, strategy: LatentStrategy) -> [Int] { [batch, zDim] }
    public func latent(fromZ z: Variable, strategy: LatentStrategy) -> Variable { z }
    public func synthesize(_ latent: Variable, features: Bool) -> (image: Variable, features: [Variable]) {
        net(latent, features: features)
    }
}
