import Foundation
import LGTensor

/// The face parser: a UNet (MaskGAN's, `predictors/face_segmenter_network.py`)
/// with 15 CelebAMask-HQ classes, BatchNorm in eval mode and a transposed-conv
/// up path.
///
/// Encoder: four stages of two (3x3 conv + BatchNorm + ReLU) with 2x2 max
/// pooling between, and a centre stage; decoder: per stage a 2x2 stride-2
/// transposed conv, concatenation with the encoder map (skip first), two
/// conv-BN-ReLU; a final 1x1 conv gives the logits.
public final class FaceParser: ParameterContainer {
    public static let classNames = ["bg", "skin", "nose", "eye_g", "eye", "brow", "ear", "mouth",
                                    "u_lip", "l_lip", "hair", "hat", "ear_r", "neck", "cloth"]

    public let config: FaceParserConfig
    public let store = ParameterStore()
    private var norms: [String: BatchNorm2d] = [:]

    static let encoder = ["conv1", "conv2", "conv3", "conv4", "center"]
    static let decoder = ["up_concat4", "up_concat3", "up_concat2", "up_concat1"]

    public init(config: FaceParserConfig = FaceParserConfig()) throws {
        try config.validate()
        self.config = config
        let f = config.filters
        var cin = config.inChannels
        for (i, name) in FaceParser.encoder.enumerated() {
            declareDoubleConv(name + ".", cin: cin, cout: f[i])
            cin = f[i]
        }
        for (j, name) in FaceParser.decoder.enumerated() {
            let inSize = f[4 - j], outSize = f[3 - j]
            declareDoubleConv(name + ".conv.", cin: inSize, cout: outSize)
            store.declare(name + ".up.weight", shape: [inSize, outSize, 2, 2])
            store.declare(name + ".up.bias", shape: [outSize])
        }
        store.declare("final.weight", shape: [config.nClasses, f[0], 1, 1])
        store.declare("final.bias", shape: [config.nClasses])
    }

    /// Builds the parser and loads `sd`.
    public convenience init(config: FaceParserConfig = FaceParserConfig(), stateDict sd: StateDict) throws {
        try self.init(config: config)
        try load(sd)
    }

    /// Names of another label set (a zoo domain's classes) for a parser
    /// trained on it; used when their count is `config.nClasses`.
    public var labelNames: [String]?

    /// Class names: `labelNames` when set, the 15 CelebAMask-HQ categories
    /// for the default config, `class{i}` otherwise.
    public var classNames: [String] {
        if let n = labelNames, n.count == config.nClasses { return n }
        return config.nClasses == FaceParser.classNames.count ? FaceParser.classNames : (0..<config.nClasses).map { "class\($0)" }
    }

    public var resolution: Int { config.resolution }

    /// Batch statistics (training) or running statistics (inference, the
    /// default) in the BatchNorm layers.
    public var training = false {
        didSet { for bn in norms.values { bn.training = training } }
    }

    /// Parameters record gradients (for training the parser).
    public var requiresParameterGradients: Bool {
        get { store.requiresGradients }
        set { store.requiresGradients = newValue }
    }

    /// Every tensor with its torch key, BatchNorm running statistics
    /// included: what `load` reads back.
    public func checkpointStateDict() -> [String: Tensor] {
        var out = store.checkpointTensors()
        for (k, bn) in norms {
            out[k + "weight"] = bn.weight.value
            out[k + "bias"] = bn.bias.value
            out[k + "running_mean"] = bn.runningMean
            out[k + "running_var"] = bn.runningVar
        }
        return out
    }

    /// He-normal convolution weights, zero biases, unit BatchNorm (seeded).
    public func initializeForTraining(seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        for (key, p) in store.namedParameters {
            let s = p.value.shape
            if s.count == 4 {
                // conv: (out, in, kh, kw); transposed conv: (in, out, kh, kw).
                let fanIn = (key.hasSuffix(".up.weight") ? s[0] : s[1]) * s[2] * s[3]
                store.set(key, rng.normalTensor(s, std: Float((2.0 / Double(fanIn)).squareRoot())))
            } else {
                store.set(key, Tensor(zeros: s))
            }
        }
    }

    public var namedParameters: [(String, Parameter)] {
        store.namedParameters + norms.keys.sorted().flatMap { k in
            [(k + "weight", norms[k]!.weight), (k + "bias", norms[k]!.bias)]
        }
    }

    private func declareDoubleConv(_ p: String, cin: Int, cout: Int) {
        store.declare(p + "conv1.0.weight", shape: [cout, cin, 3, 3])
        store.declare(p + "conv1.0.bias", shape: [cout])
        store.declare(p + "conv2.0.weight", shape: [cout, cout, 3, 3])
        store.declare(p + "conv2.0.bias", shape: [cout])
        if config.isBatchnorm {
            norms[p + "conv1.1."] = BatchNorm2d(channels: cout)
            norms[p + "conv2.1."] = BatchNorm2d(channels: cout)
        }
    }

    /// Loads a UNet state dict (torch keys; `num_batches_tracked` is ignored).
    public func load(_ sd: StateDict) throws {
        try store.load(sd)
        for (p, bn) in norms.sorted(by: { $0.key < $1.key }) { try bn.load(sd, prefix: p) }
    }

    private func doubleConv(_ x: Variable, _ p: String) -> Variable {
        var h = x
        for c in ["conv1", "conv2"] {
            h = h.conv2d(store[p + c + ".0.weight"], bias: store[p + c + ".0.bias"], Conv2DOptions(padding: 1))
            if let bn = norms[p + c + ".1."] { h = bn(h) }
            h = h.relu()
        }
        return h
    }

    /// A decoder stage's up-sampled map must meet its encoder map's size.
    private static func checkSkip(_ up: [Int], _ skip: [Int]) {
        precondition(up[2] == skip[2] && up[3] == skip[3],
                     "UNet: up-sampled \(up) vs skip \(skip); the input size must be a multiple of 16")
    }

    /// Logits (N, nClasses, H, W) of the network on x (N, 3, H, W), no resizing.
    /// Without gradients and in eval mode (labelling) it runs on tensors with
    /// each conv's bias, BatchNorm and ReLU folded into one pass over its
    /// output (`inference`).
    public func forward(_ x: Variable) -> Variable {
        if !training && !GradMode.enabled { return Variable(inference(x.value)) }
        var skips: [Variable] = []
        var h = x
        for (i, name) in FaceParser.encoder.enumerated() {
            h = doubleConv(h, name + ".")
            if i < 4 {
                skips.append(h)
                h = h.maxPool2d(kernel: 2)
            }
        }
        for (j, name) in FaceParser.decoder.enumerated() {
            let up = h.convTranspose2d(store[name + ".up.weight"], bias: store[name + ".up.bias"],
                                       ConvTranspose2DOptions(stride: 2))
            let skip = skips[3 - j]
            FaceParser.checkSkip(up.shape, skip.shape)
            h = doubleConv(Variable.concat([skip, up], axis: 1), name + ".conv.")
        }
        return h.conv2d(store["final.weight"], bias: store["final.bias"])
    }

    /// The conv `key`'s bias, the BatchNorm `bn` after it (eval mode) and a
    /// ReLU as one per-channel map applied as the output is finished:
    /// scale * (conv + bias) + shift = scale * conv + (shift + scale * bias).
    private func epilogue(conv key: String, bn: String?, relu: Bool) -> ChannelEpilogue {
        let bias = store[key + "bias"].value.data
        guard let bn = bn.flatMap({ norms[$0] }) else {
            return ChannelEpilogue(scale: [Float](repeating: 1, count: bias.count), shift: bias, relu: relu)
        }
        var e = bn.inferenceEpilogue(relu: relu)
        for j in bias.indices { e.shift[j] += e.scale[j] * bias[j] }
        return e
    }

    /// `forward` without autodiff (eval-mode BatchNorm): the same network,
    /// each layer's bias, BatchNorm and ReLU one parallel pass.
    private func inference(_ x: Tensor) -> Tensor {
        func doubleConv(_ x: Tensor, _ p: String) -> Tensor {
            var h = x
            for c in ["conv1", "conv2"] {
                h = h.conv2d(store[p + c + ".0.weight"].value, Conv2DOptions(padding: 1),
                             epilogue: epilogue(conv: p + c + ".0.", bn: p + c + ".1.", relu: true))
            }
            return h
        }
        var skips: [Tensor] = []
        var h = x
        for (i, name) in FaceParser.encoder.enumerated() {
            h = doubleConv(h, name + ".")
            if i < 4 {
                skips.append(h)
                h = h.maxPool2dValues(kernel: 2)
            }
        }
        for (j, name) in FaceParser.decoder.enumerated() {
            let up = h.convTranspose2d(store[name + ".up.weight"].value, ConvTranspose2DOptions(stride: 2),
                                       epilogue: epilogue(conv: name + ".up.", bn: nil, relu: false))
            let skip = skips[3 - j]
            FaceParser.checkSkip(up.shape, skip.shape)
            h = doubleConv(Tensor.concat([skip, up], axis: 1), name + ".conv.")
        }
        return h.conv2d(store["final.weight"].value, bias: store["final.bias"].value)
    }

    /// As the reference predictor: the image (in [-1, 1]) is resized to the
    /// network's resolution (bilinear, align_corners), clamped to [-1, 1] and
    /// parsed; the logits are resized to `labelResolution` when given.
    public func logits(_ image: Variable, labelResolution: Int? = nil) -> Variable {
        precondition(image.value.rank == 4, "FaceParser: image must be (N, C, H, W), got \(image.shape)")
        var x = image
        if x.shape[2] != resolution || x.shape[3] != resolution {
            x = x.resizeBilinear(height: resolution, width: resolution, alignCorners: true)
        }
        var out = forward(x.clamped(-1, 1))
        if let r = labelResolution, r != out.shape[2] || r != out.shape[3] {
            out = out.resizeBilinear(height: r, width: r, alignCorners: true)
        }
        return out
    }

    /// Logits and argmax labels at `labelResolution` (default: the network's).
    public func predict(_ image: Tensor, labelResolution: Int? = nil) -> (logits: Tensor, labels: Labels) {
        let l = GradMode.withoutGradients { logits(Variable(image), labelResolution: labelResolution).value }
        return (l, Labels.argmax(l))
    }
}
