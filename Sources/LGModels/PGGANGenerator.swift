import Foundation
import LGTensor

/// PGGAN generator, genforce's `PGGANGeneratorNet`.
///
/// z (N, zDim) is seen as an (N, zDim, 1, 1) map. Every conv block is
/// pixel-norm, (nearest x2 up-sampling), conv, equalised-lr scale + bias,
/// LeakyReLU(0.2). The 4 px block's first conv is a 4x4 conv with padding 3
/// on the 1x1 input; up-sampling blocks use nearest x2 + 3x3 conv, or with
/// `fused_scale` a transposed conv with the 4-tap summed kernel. toRGB is a
/// pixel-normed 1x1 conv (gain 1) at the last resolution the level of detail
/// (`lod`, 0 for a fully grown model) reaches; coarser outputs are nearest
/// up-sampled to the full size, as the reference does.
public final class PGGANGenerator: Generator {
    public let config: PGGANConfig
    public let store = ParameterStore()
    /// Progressive-growing level of detail from the checkpoint (0: all blocks).
    public private(set) var lod: Float = 0

    public init(config: PGGANConfig) throws {
        try config.validate()
        self.config = config
        store.declare("lod", shape: [], kind: .buffer, optional: true)
        for b in 0..<blockCount {
            let res = 4 << b
            let ch = config.channels(at: res)
            if b == 0 {
                store.declare("layer0.conv.weight", shape: [ch, config.zSpaceDim, 4, 4])
            } else if config.fusedScale {
                store.declare("layer\(2 * b).weight", shape: [3, 3, config.channels(at: res / 2), ch],
                              layout: .hwioToConvTranspose)
            } else {
                store.declare("layer\(2 * b).conv.weight", shape: [ch, config.channels(at: res / 2), 3, 3])
            }
            store.declare("layer\(2 * b).wscale.bias", shape: [ch])
            store.declare("layer\(2 * b + 1).conv.weight", shape: [ch, ch, 3, 3])
            store.declare("layer\(2 * b + 1).wscale.bias", shape: [ch])
            store.declare("output\(b).conv.weight", shape: [config.imageChannels, ch, 1, 1])
            store.declare("output\(b).wscale.bias", shape: [config.imageChannels])
        }
    }

    /// Builds the generator and loads `sd`.
    public convenience init(config: PGGANConfig, stateDict sd: StateDict) throws {
        try self.init(config: config)
        try load(sd)
    }

    var blockCount: Int { log2Int(config.resolution) - 1 }

    public var resolution: Int { config.resolution }
    public var imageChannels: Int { config.imageChannels }
    public var zDim: Int { config.zSpaceDim }
    public var featureChannels: [Int] { (0..<blockCount).map { config.channels(at: 4 << $0) } }
    public var featureResolutions: [Int] { (0..<blockCount).map { 4 << $0 } }

    public func load(_ sd: StateDict) throws {
        try store.load(sd)
        lod = store["lod"].value.data[0]
    }

    /// PGGAN has no mapping network: every strategy gives z (N, zDim).
    public func zShape(batch: Int, strategy: LatentStrategy) -> [Int] { [batch, zDim] }

    public func latent(fromZ z: Variable, strategy: LatentStrategy) -> Variable { z }

    public func synthesize(_ z: Variable, features wantFeatures: Bool) -> (image: Variable, features: [Variable]) {
        precondition(z.value.rank == 2 && z.shape[1] == zDim, "PGGAN: z must be (N, \(zDim)), got \(z.shape)")
        let finalLog2 = log2Int(config.resolution)
        var x = z.reshaped([z.shape[0], zDim, 1, 1])
        var image: Variable? = nil
        // The block whose image (toRGB) is owed: only the last block run
        // gives the output, so the others' toRGB is never computed.
        var owed: Int? = nil
        var feats: [Variable] = []
        for b in 0..<blockCount {
            if Float(b + 2) + lod <= Float(finalLog2) {
                if b == 0 {
                    x = block(x, layer: 0, kernel: 4, padding: 3)
                } else if config.fusedScale {
                    x = fusedUpBlock(x, layer: 2 * b)
                } else {
                    x = block(x.pixelNorm().upsampleNearest(2), layer: 2 * b, normalized: true)
                }
                x = block(x, layer: 2 * b + 1)
                owed = b
            } else {
                if let o = owed { image = toRGB(x, block: o); owed = nil }
                image = image!.upsampleNearest(2)
            }
            if wantFeatures { feats.append(x) }
        }
        if let o = owed { image = toRGB(x, block: o) }
        var img = image!
        if config.finalTanh { img = img.tanh() }
        return (img, feats)
    }

    static let gain = Float(2).squareRoot()

    /// pixel-norm, conv, wscale + bias, LeakyReLU(0.2).
    /// Without gradients the scale, bias and LeakyReLU are one pass over
    /// the convolution's output (`ChannelEpilogue`).
    func block(_ x: Variable, layer l: Int, kernel: Int = 3, padding: Int = 1, normalized: Bool = false) -> Variable {
        let h = normalized ? x : x.pixelNorm()
        let scale = PGGANGenerator.gain / Float(x.shape[1] * kernel * kernel).squareRoot()
        let w = store["layer\(l).conv.weight"], bias = store["layer\(l).wscale.bias"]
        if !Variable.tracking(h, w, bias) {
            return Variable(h.value.conv2d(w.value, Conv2DOptions(padding: padding),
                                           epilogue: ChannelEpilogue(scale: [Float](repeating: scale, count: bias.value.count),
                                                                     shift: bias.value.data, relu: true, negativeSlope: 0.2)))
        }
        return (h.conv2d(w, bias: nil, Conv2DOptions(padding: padding)) * scale
            + bias.reshaped([1, -1, 1, 1])).leakyRelu(0.2)
    }

    /// pixel-norm, transposed conv with the summed 4x4 kernel, + bias, LeakyReLU(0.2).
    func fusedUpBlock(_ x: Variable, layer l: Int) -> Variable {
        let scale = PGGANGenerator.gain / Float(x.shape[1] * 9).squareRoot()
        let k = store["layer\(l).weight"].fusedUpsamplingKernel(scale: scale)
        return (x.pixelNorm().convTranspose2d(k, bias: nil, ConvTranspose2DOptions(stride: 2, padding: 1))
            + store["layer\(l).wscale.bias"].reshaped([1, -1, 1, 1])).leakyRelu(0.2)
    }

    func toRGB(_ x: Variable, block b: Int) -> Variable {
        x.pixelNorm().conv2d(store["output\(b).conv.weight"]) * (1 / Float(x.shape[1]).squareRoot())
            + store["output\(b).wscale.bias"].reshaped([1, -1, 1, 1])
    }
}
