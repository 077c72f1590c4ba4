import Foundation
import LGTensor

/// StyleGAN2 generator, config F with the skip architecture (genforce's
/// `StyleGAN2GeneratorNet(architecture_type='skip')`).
///
/// Synthesis: a learned constant, then modulated 3x3 convolutions (style =
/// affine(w) + 1, weights scaled per input channel, demodulated per output
/// channel), each followed by fixed or random noise times a learned strength,
/// bias and LeakyReLU(0.2) * sqrt(2). The first layer of each resolution
/// above 4 px up-samples with a stride-2 transposed conv and a 4x4 FIR blur.
/// After every even layer a 1x1 modulated toRGB (no demodulation) adds to the
/// FIR-up-sampled image of the previous resolution.
///
/// Modulation is applied to the activations rather than the weights
/// (x * style, shared-weight conv, then * demodulation coefficients): the
/// same function as the reference's grouped conv, with one GEMM per layer
/// for the whole batch.
public final class StyleGAN2Generator: StyleGenerator {
    public let config: StyleGANConfig
    public let store = ParameterStore()
    let mappingNet: StyleMapping
    let truncationModule: StyleTruncation
    /// Where randomised noise comes from when `config.randomizeNoise` is set.
    public var noiseRandom = SeededRandom(seed: 0)

    /// outer([1,3,3,1]) normalised, times 4 (the up-sampling gain).
    static let firKernel: Tensor = {
        let k: [Float] = [1, 3, 3, 1]
        var d = [Float](repeating: 0, count: 16)
        for i in 0..<4 { for j in 0..<4 { d[i * 4 + j] = k[i] * k[j] / 64 * 4 } }
        return Tensor(shape: [4, 4], data: d)
    }()

    public init(config: StyleGANConfig) throws {
        var c = config
        c.family = .stylegan2
        try c.validate()
        self.config = c
        mappingNet = StyleMapping(config: c, store: store)
        truncationModule = StyleTruncation(config: c, store: store)
        let c0 = c.channels(at: 4)
        store.declare("synthesis.early_layer.const", shape: [1, c0, 4, 4])
        for l in 0..<(c.numLayers - 1) {
            let (cin, cout, res) = layerShape(l)
            let p = "synthesis.layer\(l)."
            store.declare(p + "weight", shape: [3, 3, cin, cout],
                          layout: isUpsampling(l) ? .hwioToConvTransposeFlipped : .hwioToConv)
            store.declare(p + "bias", shape: [cout])
            store.declare(p + "noise", shape: [1, 1, res, res], kind: .buffer, optional: c.randomizeNoise)
            store.declare(p + "noise_strength", shape: [])
            store.declare(p + "style.fc.weight", shape: [cin, c.wSpaceDim])
            store.declare(p + "style.bias", shape: [cin])
            if l % 2 == 0 {
                let b = l / 2
                let q = "synthesis.output\(b)."
                store.declare(q + "weight", shape: [1, 1, cout, c.imageChannels], layout: .hwioToConv)
                store.declare(q + "bias", shape: [c.imageChannels])
                store.declare(q + "style.fc.weight", shape: [cout, c.wSpaceDim])
                store.declare(q + "style.bias", shape: [cout])
            }
        }
    }

    /// Builds the generator and loads `sd`.
    public convenience init(config: StyleGANConfig, stateDict sd: StateDict) throws {
        try self.init(config: config)
        try load(sd)
    }

    /// Layer l (0-based, l < numLayers - 1): layer 0 is the 4 px conv; odd
    /// layers up-sample into resolution 4 << ((l + 1) / 2).
    func layerShape(_ l: Int) -> (cin: Int, cout: Int, res: Int) {
        let res = 4 << ((l + 1) / 2)
        let cout = config.channels(at: res)
        let cin = isUpsampling(l) ? config.channels(at: res / 2) : cout
        return (cin, cout, res)
    }

    func isUpsampling(_ l: Int) -> Bool { l % 2 == 1 }

    public var featureChannels: [Int] { (0..<(numLayers - 1)).map { layerShape($0).cout } }
    public var featureResolutions: [Int] { (0..<(numLayers - 1)).map { layerShape($0).res } }

    public func load(_ sd: StateDict) throws { try store.load(sd) }

    public func mapping(_ z: Variable) -> Variable { mappingNet(z) }

    public func truncation(_ w: Variable) -> Variable { truncationModule(broadcastW(w)) }

    public func synthesis(_ wp: Variable, features wantFeatures: Bool) -> (image: Variable, features: [Variable]) {
        precondition(wp.value.rank == 3 && wp.shape[1] == numLayers && wp.shape[2] == wDim,
                     "synthesis: wp must be (N, \(numLayers), \(wDim)), got \(wp.shape)")
        let n = wp.shape[0]
        var x = store["synthesis.early_layer.const"] * Variable(Tensor(repeating: 1, shape: [n, 1, 1, 1]))
        var feats: [Variable] = []
        var image: Variable? = nil
        for l in 0..<(numLayers - 1) {
            x = modulatedLayer(x, layer: l, w: wp.layer(l))
            if l % 2 == 0 {
                let rgb = toRGB(x, block: l / 2, w: wp.layer(l + 1))
                if let prev = image {
                    image = rgb + prev.upfirdn2d(StyleGAN2Generator.firKernel,
                                                 UpFirDnOptions(up: 2, padX0: 2, padX1: 1, padY0: 2, padY1: 1))
                } else {
                    image = rgb
                }
            }
            if wantFeatures { feats.append(x) }
        }
        var img = image!
        if config.finalTanh { img = img.tanh() }
        return (img, feats)
    }

    /// style = dense(w) + 1 with weight scale 1/sqrt(wDim), lr multiplier 1.
    func style(_ w: Variable, prefix p: String) -> Variable {
        w.linear(store[p + "style.fc.weight"]) * (1 / Float(w.shape[1]).squareRoot())
            + store[p + "style.bias"].reshaped([1, -1]) + 1
    }

    func modulatedLayer(_ x: Variable, layer l: Int, w: Variable) -> Variable {
        let p = "synthesis.layer\(l)."
        let (cin, cout, res) = layerShape(l)
        let n = x.shape[0]
        let s = style(w, prefix: p)                                   // (N, cin)
        if !recordsGradients(x, w) { return Variable(modulatedLayerInference(x.value, layer: l, style: s.value)) }
        let scale = 1 / Float(cin * 9).squareRoot()
        let weight = store[p + "weight"] * scale
        var h = x * s.reshaped([n, cin, 1, 1])
        // Demodulation: 1/sqrt(sum over (in, kh, kw) of (weight * style)^2 + eps) per (sample, out).
        let w2 = weight.square().sum(axes: [2, 3])                    // conv: (out, in); transposed: (in, out)
        let sumSq: Variable
        if isUpsampling(l) {
            h = h.convTranspose2d(weight, bias: nil, ConvTranspose2DOptions(stride: 2))
            h = h.upfirdn2d(StyleGAN2Generator.firKernel, UpFirDnOptions(pad: (1, 1)))
            sumSq = s.square().matmul(w2)                             // (N, out)
        } else {
            h = h.conv2d(weight, bias: nil, Conv2DOptions(padding: 1))
            sumSq = s.square().linear(w2)                             // s^2 @ w2^T: (N, out)
        }
        h = h * (sumSq + 1e-8).pow(-0.5).reshaped([n, cout, 1, 1])
        let noise: Variable
        if config.randomizeNoise {
            noise = Variable(noiseRandom.normalTensor([n, 1, res, res]))
        } else {
            noise = store[p + "noise"]
        }
        h = h + noise * store[p + "noise_strength"].reshaped([1, 1, 1, 1])
        h = h + store[p + "bias"].reshaped([1, cout, 1, 1])
        return h.leakyRelu(0.2, gain: Float(2).squareRoot())
    }

    func toRGB(_ x: Variable, block b: Int, w: Variable) -> Variable {
        let q = "synthesis.output\(b)."
        let n = x.shape[0], cin = x.shape[1]
        let s = style(w, prefix: q) * (1 / Float(cin).squareRoot())
        if !recordsGradients(x, w) { return Variable(toRGBInference(x.value, block: b, style: s.value)) }
        return (x * s.reshaped([n, cin, 1, 1])).conv2d(store[q + "weight"])
            + store[q + "bias"].reshaped([1, -1, 1, 1])
    }
}
