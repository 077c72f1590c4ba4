import Foundation
import LGTensor

/// StyleGAN (v1) generator, genforce's `StyleGANGeneratorNet`.
///
/// Synthesis: a learned constant at 4 px, then per resolution two layers,
/// each followed by the epilogue (noise, bias, LeakyReLU(0.2), instance norm,
/// AdaIN style modulation). The first layer of each resolution above 4 px
/// up-samples: nearest x2 + 3x3 conv below `fused_scale` 'auto''s 128 px, a
/// transposed conv with the 4-tap summed kernel from 128 px on; both then
/// blur with the normalised [1, 2, 1] filter. toRGB is a 1x1 conv at the last
/// resolution reached (`synthesis.lod`, 0 for a fully grown model).
public final class StyleGANGenerator: StyleGenerator {
    public let config: StyleGANConfig
    public let store = ParameterStore()
    let mappingNet: StyleMapping
    let truncationModule: StyleTruncation
    /// Progressive-growing level of detail from the checkpoint (0: all blocks).
    public private(set) var lod: Float = 0
    /// Where randomised noise comes from when `config.randomizeNoise` is set.
    public var noiseRandom = SeededRandom(seed: 0)

    static let blurKernel: Tensor = {
        let k: [Float] = [1, 2, 1]
        var d = [Float](repeating: 0, count: 9)
        for i in 0..<3 { for j in 0..<3 { d[i * 3 + j] = k[i] * k[j] / 16 } }
        return Tensor(shape: [3, 3], data: d)
    }()

    public init(config: StyleGANConfig) throws {
        var c = config
        c.family = .stylegan
        try c.validate()
        self.config = c
        mappingNet = StyleMapping(config: c, store: store)
        truncationModule = StyleTruncation(config: c, store: store)
        store.declare("synthesis.lod", shape: [], kind: .buffer, optional: true)
        let wd = c.wSpaceDim
        for b in 0..<blockCount {
            let res = 4 << b
            let ch = c.channels(at: res)
            for l in [2 * b, 2 * b + 1] {
                let p = "synthesis.layer\(l)."
                if l == 0 {
                    store.declare(p + "const", shape: [1, ch, 4, 4], initial: Tensor(repeating: 1, shape: [1, ch, 4, 4]))
                } else if l == 2 * b {
                    let cin = c.channels(at: res / 2)
                    if c.fusedScale.isFused(at: res) {
                        store.declare(p + "weight", shape: [3, 3, cin, ch], layout: .hwioToConvTranspose)
                    } else {
                        store.declare(p + "conv.weight", shape: [ch, cin, 3, 3])
                    }
                } else {
                    store.declare(p + "conv.weight", shape: [ch, ch, 3, 3])
                }
                store.declare(p + "epilogue.bias", shape: [ch])
                store.declare(p + "epilogue.apply_noise.weight", shape: [ch])
                store.declare(p + "epilogue.apply_noise.noise", shape: [1, 1, res, res], kind: .buffer,
                              optional: c.randomizeNoise)
                store.declare(p + "epilogue.style_mod.dense.fc.weight", shape: [2 * ch, wd])
                store.declare(p + "epilogue.style_mod.dense.wscale.bias", shape: [2 * ch])
            }
            store.declare("synthesis.output\(b).conv.weight", shape: [c.imageChannels, ch, 1, 1])
            store.declare("synthesis.output\(b).bias", shape: [c.imageChannels])
        }
    }

    /// Builds the generator and loads `sd`.
    public convenience init(config: StyleGANConfig, stateDict sd: StateDict) throws {
        try self.init(config: config)
        try load(sd)
    }

    var blockCount: Int { log2Int(config.resolution) - 1 }

    public var featureChannels: [Int] { (0..<blockCount).map { config.channels(at: 4 << $0) } }
    public var featureResolutions: [Int] { (0..<blockCount).map { 4 << $0 } }

    public func load(_ sd: StateDict) throws {
        try store.load(sd)
        lod = store["synthesis.lod"].value.data[0]
    }

    public func mapping(_ z: Variable) -> Variable { mappingNet(z) }

    public func truncation(_ w: Variable) -> Variable { truncationModule(broadcastW(w)) }

    public func synthesis(_ wp: Variable, features wantFeatures: Bool) -> (image: Variable, features: [Variable]) {
        precondition(wp.value.rank == 3 && wp.shape[1] == numLayers && wp.shape[2] == wDim,
                     "synthesis: wp must be (N, \(numLayers), \(wDim)), got \(wp.shape)")
        let n = wp.shape[0]
        let finalLog2 = log2Int(config.resolution)
        var feats: [Variable] = []
        var x: Variable? = nil
        var image: Variable? = nil
        for b in 0..<blockCount {
            let resLog2 = b + 2
            if Float(resLog2) + lod <= Float(finalLog2) {
                let res = 4 << b
                var h: Variable
                if b == 0 {
                    h = store["synthesis.layer0.const"] * Variable(Tensor(repeating: 1, shape: [n, 1, 1, 1]))
                } else {
                    h = upConv(x!, layer: 2 * b, res: res)
                }
                h = epilogue(h, layer: 2 * b, w: wp.layer(2 * b), res: res)
                let l1 = 2 * b + 1
                h = h.conv2d(store["synthesis.layer\(l1).conv.weight"], bias: nil, Conv2DOptions(padding: 1))
                    * wscale(fanIn: h.shape[1] * 9)
                h = epilogue(h, layer: l1, w: wp.layer(l1), res: res)
                x = h
                image = toRGB(h, block: b)
            } else {
                image = image!.upsampleNearest(2)
            }
            if wantFeatures { feats.append(x!) }
        }
        var img = image!
        if config.finalTanh { img = img.tanh() }
        return (img, feats)
    }

    func wscale(fanIn: Int, gain: Float = Float(2).squareRoot()) -> Float { gain / Float(fanIn).squareRoot() }

    func upConv(_ x: Variable, layer l: Int, res: Int) -> Variable {
        let p = "synthesis.layer\(l)."
        let cin = x.shape[1]
        let scale = wscale(fanIn: cin * 9)
        var h: Variable
        if config.fusedScale.isFused(at: res) {
            let k = store[p + "weight"].fusedUpsamplingKernel(scale: scale)
            h = x.convTranspose2d(k, bias: nil, ConvTranspose2DOptions(stride: 2, padding: 1))
        } else {
            h = x.upsampleNearest(2).conv2d(store[p + "conv.weight"], bias: nil, Conv2DOptions(padding: 1)) * scale
        }
        return h.upfirdn2d(StyleGANGenerator.blurKernel, UpFirDnOptions(pad: (1, 1)))
    }

    func epilogue(_ x: Variable, layer l: Int, w: Variable, res: Int) -> Variable {
        let p = "synthesis.layer\(l).epilogue."
        let c = x.shape[1]
        let noise: Variable
        if config.randomizeNoise {
            noise = Variable(noiseRandom.normalTensor([x.shape[0], 1, res, res]))
        } else {
            noise = store[p + "apply_noise.noise"]
        }
        var h = x + noise * store[p + "apply_noise.weight"].reshaped([1, c, 1, 1])
        h = h + store[p + "bias"].reshaped([1, c, 1, 1])
        h = h.leakyRelu(0.2)
        // Instance norm over each map.
        h = h - h.mean(axes: [2, 3], keepDims: true)
        h = h * (h.square().mean(axes: [2, 3], keepDims: true) + 1e-8).pow(-0.5)
        // AdaIN: style = dense(w) (gain 1, lr 1), split into scale and shift.
        let style = w.linear(store[p + "style_mod.dense.fc.weight"]) * wscale(fanIn: w.shape[1], gain: 1)
            + store[p + "style_mod.dense.wscale.bias"].reshaped([1, -1])
        let n = x.shape[0]
        let s = style.reshaped([n, 2 * c, 1, 1])
        return h * (s.slice(axis: 1, 0..<c) + 1) + s.slice(axis: 1, c..<(2 * c))
    }

    func toRGB(_ x: Variable, block b: Int) -> Variable {
        x.conv2d(store["synthesis.output\(b).conv.weight"]) * wscale(fanIn: x.shape[1], gain: 1)
            + store["synthesis.output\(b).bias"].reshaped([1, -1, 1, 1])
    }
}
