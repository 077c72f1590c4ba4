import LGTensor

/// The DCGAN generator of the PyTorch DCGAN faces tutorial, as shipped in
/// PyPI `gan-face-generate` 1.1.1 (`weights.tar`, key `netG_state_dict`).
///
/// `main.{0,3,6,9,12}` are ConvTranspose2d without bias (4x4; stride 1 pad 0
/// for the first, stride 2 pad 1 after), `main.{1,4,7,10}` BatchNorm2d
/// (eval mode), ReLU after each, Tanh at the end. Sizes come from the
/// checkpoint's tensor shapes. Features are the four ReLU outputs
/// (`main.2`, `main.5`, `main.8`, `main.11`: 512@4, 256@8, 128@16, 64@32 for
/// the shipped model).
public final class DCGAN: ParameterContainer {
    public let latentDim: Int
    public let channels: [Int]
    let convs: [Parameter]
    let norms: [BatchNorm2d]

    /// Module indices of the transposed convolutions in `main`.
    static let convIndices = [0, 3, 6, 9, 12]

    /// Builds the generator from a state dict with keys `main.N.*`.
    public init(stateDict sd: StateDict) throws {
        var chans: [Int] = []
        var convs: [Parameter] = []
        for (i, idx) in DCGAN.convIndices.enumerated() {
            let key = "main.\(idx).weight"
            let shape = try sd.shape(of: key)
            guard shape.count == 4, shape[2] == 4, shape[3] == 4 else {
                throw ModelError.shapeMismatch(key: key, expected: [chans.last ?? -1, -1, 4, 4], found: shape, source: sd.source)
            }
            if i == 0 { chans.append(shape[0]) }
            guard shape[0] == chans.last! else {
                throw ModelError.shapeMismatch(key: key, expected: [chans.last!, shape[1], 4, 4], found: shape, source: sd.source)
            }
            chans.append(shape[1])
            convs.append(Parameter(try sd.require(key, shape: shape), requiresGrad: false, name: key))
        }
        self.latentDim = chans[0]
        self.channels = chans
        self.convs = convs
        var norms: [BatchNorm2d] = []
        for i in 0..<4 {
            let bn = BatchNorm2d(channels: chans[i + 1])
            try bn.load(sd, prefix: "main.\(DCGAN.convIndices[i] + 1).")
            norms.append(bn)
        }
        self.norms = norms
    }

    public var namedParameters: [(String, Parameter)] {
        var out: [(String, Parameter)] = []
        for i in 0..<5 {
            out.append(("main.\(DCGAN.convIndices[i]).weight", convs[i]))
            if i < 4 {
                out.append(("main.\(DCGAN.convIndices[i] + 1).weight", norms[i].weight))
                out.append(("main.\(DCGAN.convIndices[i] + 1).bias", norms[i].bias))
            }
        }
        return out
    }

    /// Output resolution (64 for the shipped model).
    public var resolution: Int { 4 << 4 }

    /// Channels of the four feature maps.
    public var featureChannels: [Int] { Array(channels[1...4]) }

    /// Generates images in [-1, 1] from latents of shape (N, nz) or (N, nz, 1, 1),
    /// optionally with the four ReLU outputs.
    public func callAsFunction(_ z: Variable, features wantFeatures: Bool = false) -> (image: Variable, features: [Variable]) {
        precondition(z.value.count % latentDim == 0 && (z.value.rank == 2 || z.value.rank == 4) && z.shape[1] == latentDim,
                     "DCGAN latent must be (N, \(latentDim)) or (N, \(latentDim), 1, 1), got \(z.shape)")
        var x = z.reshaped([z.shape[0], latentDim, 1, 1])
        var feats: [Variable] = []
        for i in 0..<5 {
            let opts = i == 0 ? ConvTranspose2DOptions(stride: 1, padding: 0) : ConvTranspose2DOptions(stride: 2, padding: 1)
            if i < 4, !GradMode.enabled, !norms[i].training {
                // Inference: BatchNorm (eval) and ReLU folded into the layer's output pass.
                x = Variable(x.value.convTranspose2d(convs[i].value, opts, epilogue: norms[i].inferenceEpilogue(relu: true)))
            } else {
                x = x.convTranspose2d(convs[i], opts)
                if i < 4 { x = norms[i](x).relu() }
            }
            if i < 4, wantFeatures { feats.append(x) }
        }
        return (x.tanh(), feats)
    }
}
