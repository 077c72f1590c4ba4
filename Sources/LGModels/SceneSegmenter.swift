import Foundation
import LGTensor

/// LinearGAN's scene segmenter: PyTorch-Encoding's DeepLabV3 with a ResNeSt
/// backbone (`DeepLab_ResNeSt200_ADE`, 150 ADE20K classes), in eval mode.
///
/// Backbone (`pretrained.*`): deep stem (three 3x3 convs, the first at
/// stride 2) + 3x3/2 max pooling, then four stages of Bottleneck blocks with
/// split-attention 3x3 convolutions (`SplitAttention`); with `dilated` the
/// last two stages keep stride 1 and dilate 2 and 4 (output stride 8).
/// Head (`head.*`): ASPP (1x1, three dilated 3x3, image pooling) -> 1x1
/// projection -> 3x3 conv -> 1x1 classifier; logits are upsampled bilinearly
/// (align_corners) to the input size. The aux FCN head (`auxlayer.*`) on
/// layer3 runs only when asked (LinearGAN sets `net.aux = False`).
/// Every BatchNorm is folded into the preceding convolution's output.
/// Spec: docs/scene-segmenter.md.
public final class SceneSegmenter {
    public let config: SceneSegmenterConfig
    public let store = ParameterStore()
    private var norms: [String: BatchNorm2d] = [:]
    private var epilogues: [String: ChannelEpilogue] = [:]
    let stages: [[Block]]

    /// The ImageNet statistics the network's input is normalised with.
    public static let mean: [Float] = [0.485, 0.456, 0.406]
    public static let std: [Float] = [0.229, 0.224, 0.225]
    /// Elements per core below which element-wise passes stay on one core.
    static let grain = 1 << 15

    /// Whether the 3x3 stride-1 layers that could (the stem's last two, the
    /// head's) take Winograd. Off by default: they are 3 % of the cost, and
    /// F(4x4, 3x3)'s rounding (about 1e-5 relative), carried through 66 blocks
    /// of split attention, moved a random-weight ResNeSt-200's layer3 output
    /// far more than PyTorch's own float32 rounding does (measured against
    /// float64; with im2col the port stays at PyTorch's level).
    public var allowsWinograd = false

    /// Whether 3x3 stride-1 convolutions with padding equal to a dilation
    /// of at most 4 (the split-attention convolutions of every stage, the
    /// stem's last two, the head's) run as the fused F(2x2, 3x3)
    /// (`WinogradGrouped`), where the CPU has its kernel. Its rounding
    /// matches im2col's to layer3 and is about 2.5x im2col's from layer4 on
    /// (docs/scene-segmenter.md; labels unchanged). The ASPP's rates (12-36) stay on tap regions:
    /// at output stride 8 most of their taps read only padding.
    public var fusedWinograd = true

    /// Which channels label images (`SegmentationPredictor`); all 150 by default.
    public var labelSelection: SceneLabelSelection

    /// One Bottleneck block.
    struct Block {
        let prefix: String
        let inChannels, width, outChannels: Int
        /// The 3x3 convolution's stride (1 when the avd pooling strides).
        let convStride: Int
        let dilation: Int
        /// avd: 3x3 average pooling (count_include_pad) with this stride.
        let avdStride: Int?
        let downsample: Downsample?
    }

    enum Downsample {
        /// avg_down: optional AvgPool2d (ceil mode, count_include_pad=False), 1x1 conv, BN.
        case pooled(AvgPool2DOptions?)
        /// 1x1 conv at the block's stride, BN.
        case strided(Int)
    }

    public init(config: SceneSegmenterConfig = SceneSegmenterConfig()) throws {
        try config.validate()
        self.config = config
        labelSelection = .all(classes: config.nClasses)
        var stages: [[Block]] = []
        var inC = config.stemChannels
        for (s, geo) in config.stageGeometry.enumerated() {
            let c = config.groupWidth(stage: s), out = config.outChannels(stage: s)
            var blocks: [Block] = []
            for b in 0..<config.layers[s] {
                let first = b == 0
                let stride = first ? geo.stride : 1
                let dilation = first ? (geo.dilation == 4 ? 2 : 1) : geo.dilation
                // avd = avd and (stride > 1 or is_first); layer1 is built with is_first=False.
                let avd = config.avd && (stride > 1 || (first && s > 0))
                var down: Downsample? = nil
                if first && (stride != 1 || inC != out) {
                    if config.avgDown {
                        down = .pooled(geo.dilation == 1 && stride > 1
                            ? AvgPool2DOptions(kernel: stride, stride: stride, ceilMode: true, countIncludePad: false) : nil)
                    } else {
                        down = .strided(stride)
                    }
                }
                blocks.append(Block(prefix: "pretrained.layer\(s + 1).\(b).", inChannels: inC, width: c, outChannels: out,
                                    convStride: avd ? 1 : stride, dilation: dilation,
                                    avdStride: avd ? stride : nil, downsample: down))
                inC = out
            }
            stages.append(blocks)
        }
        self.stages = stages
        declare()
    }

    /// Builds the network and loads `sd`.
    public convenience init(config: SceneSegmenterConfig = SceneSegmenterConfig(), stateDict sd: StateDict) throws {
        try self.init(config: config)
        try load(sd)
    }

    // MARK: Parameters

    private func declareConv(_ key: String, _ cout: Int, _ cin: Int, _ k: Int, bias: Bool = false) {
        store.declare(key + ".weight", shape: [cout, cin, k, k])
        if bias { store.declare(key + ".bias", shape: [cout]) }
    }

    private func declareBN(_ prefix: String, _ c: Int) { norms[prefix + "."] = BatchNorm2d(channels: c) }

    private func declare() {
        let cfg = config
        if cfg.deepStem {
            let w = cfg.stemWidth
            declareConv("pretrained.conv1.0", w, 3, 3); declareBN("pretrained.conv1.1", w)
            declareConv("pretrained.conv1.3", w, w, 3); declareBN("pretrained.conv1.4", w)
            declareConv("pretrained.conv1.6", 2 * w, w, 3)
        } else {
            declareConv("pretrained.conv1", 64, 3, 7)
        }
        declareBN("pretrained.bn1", cfg.stemChannels)
        for (s, blocks) in stages.enumerated() {
            let r = cfg.radix, card = cfg.groups, inner = cfg.attentionWidth(stage: s)
            for b in blocks {
                let p = b.prefix, c = b.width
                declareConv(p + "conv1", c, b.inChannels, 1); declareBN(p + "bn1", c)
                declareConv(p + "conv2.conv", c * r, c / (card * r), 3); declareBN(p + "conv2.bn0", c * r)
                store.declare(p + "conv2.fc1.weight", shape: [inner, c / card, 1, 1])
                store.declare(p + "conv2.fc1.bias", shape: [inner])
                declareBN(p + "conv2.bn1", inner)
                store.declare(p + "conv2.fc2.weight", shape: [c * r, inner / card, 1, 1])
                store.declare(p + "conv2.fc2.bias", shape: [c * r])
                declareConv(p + "conv3", b.outChannels, c, 1); declareBN(p + "bn3", b.outChannels)
                switch b.downsample {
                case .pooled?: declareConv(p + "downsample.1", b.outChannels, b.inChannels, 1); declareBN(p + "downsample.2", b.outChannels)
                case .strided?: declareConv(p + "downsample.0", b.outChannels, b.inChannels, 1); declareBN(p + "downsample.1", b.outChannels)
                case nil: break
                }
            }
        }
        let c4 = cfg.outChannels(stage: 3), inter = c4 / 8
        declareConv("head.aspp.b0.0", inter, c4, 1); declareBN("head.aspp.b0.1", inter)
        for i in 1...cfg.atrousRates.count {
            declareConv("head.aspp.b\(i).0", inter, c4, 3); declareBN("head.aspp.b\(i).1", inter)
        }
        let pool = cfg.atrousRates.count + 1
        declareConv("head.aspp.b\(pool).gap.1", inter, c4, 1); declareBN("head.aspp.b\(pool).gap.2", inter)
        declareConv("head.aspp.project.0", inter, inter * (pool + 1), 1); declareBN("head.aspp.project.1", inter)
        declareConv("head.block.0", inter, inter, 3); declareBN("head.block.1", inter)
        declareConv("head.block.4", cfg.nClasses, inter, 1, bias: true)
        if cfg.aux {
            let c3 = cfg.outChannels(stage: 2), ai = c3 / 4
            declareConv("auxlayer.conv5.0", ai, c3, 3); declareBN("auxlayer.conv5.1", ai)
            declareConv("auxlayer.conv5.4", cfg.nClasses, ai, 1, bias: true)
        }
        refreshEpilogues()
    }

    private func refreshEpilogues() {
        epilogues = norms.mapValues { $0.inferenceEpilogue(relu: false) }
    }

    /// Every tensor's key and shape as the checkpoint must hold them
    /// (BatchNorm: weight, bias, running_mean, running_var).
    public var declaredShapes: [(String, [Int])] {
        var out = store.declaredShapes
        for (k, bn) in norms.sorted(by: { $0.key < $1.key }) {
            let c = [bn.runningMean.count]
            out += ["weight", "bias", "running_mean", "running_var"].map { (k + $0, c) }
        }
        return out
    }

    /// Loads a DeepLabV3 state dict by the reference's keys (`pretrained.*`,
    /// `head.*`, `auxlayer.*`; a `module.` prefix of a DataParallel save is
    /// dropped), checking every shape. `num_batches_tracked` and, when the
    /// config has no aux head, `auxlayer.*` are not read.
    public func load(_ sd: StateDict) throws {
        var sd = sd
        if sd.tensors["pretrained.bn1.weight"] == nil && sd.tensors["module.pretrained.bn1.weight"] != nil {
            sd = sd.strippingPrefix("module.")
        }
        try store.load(sd)
        for (p, bn) in norms.sorted(by: { $0.key < $1.key }) { try bn.load(sd, prefix: p) }
        refreshEpilogues()
    }

    /// Seeded random weights of a plausible scale for benchmarks and smoke
    /// runs: He-normal convolutions, zero biases, BatchNorm scale 1 (0.3 on
    /// the residual branch's last BN), unit running statistics.
    public func randomize(seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        for (key, shape) in store.declaredShapes {
            if shape.count == 4 {
                let fanIn = shape[1] * shape[2] * shape[3]
                store.set(key, rng.normalTensor(shape, std: Float((2.0 / Double(fanIn)).squareRoot())))
            } else {
                store.set(key, Tensor(zeros: shape))
            }
        }
        for (k, bn) in norms {
            let c = bn.runningMean.count
            bn.weight.value = Tensor(repeating: k.hasSuffix("bn3.") ? 0.3 : 1, shape: [c])
            bn.bias.value = Tensor(zeros: [c])
            bn.runningMean = Tensor(zeros: [c])
            bn.runningVar = Tensor(repeating: 1, shape: [c])
        }
        refreshEpilogues()
    }

    /// A few checkpoint keys and their shapes for `config`, for error
    /// messages (without building the network).
    public static func sampleShapes(_ c: SceneSegmenterConfig) -> [(String, [Int])] {
        let w = c.groupWidth(stage: 0), inter = c.outChannels(stage: 3) / 8
        return [(c.deepStem ? "pretrained.conv1.0.weight" : "pretrained.conv1.weight", c.deepStem ? [c.stemWidth, 3, 3, 3] : [64, 3, 7, 7]),
                ("pretrained.layer1.0.conv2.conv.weight", [w * c.radix, w / (c.groups * c.radix), 3, 3]),
                ("pretrained.layer4.\(c.layers[3] - 1).bn3.running_var", [c.outChannels(stage: 3)]),
                ("head.block.4.weight", [c.nClasses, inter, 1, 1]), ("head.block.4.bias", [c.nClasses])]
    }

    /// Number of parameters and buffers read from a checkpoint (BatchNorm statistics included).
    public var parameterCount: Int { declaredShapes.map { Tensor.count(of: $0.1) }.reduce(0, +) }

    // MARK: Layers

    private func epilogue(_ bn: String, relu: Bool) -> ChannelEpilogue {
        guard var e = epilogues[bn + "."] else { preconditionFailure("SceneSegmenter: no BatchNorm '\(bn)'") }
        e.relu = relu
        return e
    }

    /// Convolution `key` (+ bias when declared), then BatchNorm `bn` (+ ReLU).
    func conv(_ x: Tensor, _ key: String, _ o: Conv2DOptions = .init(), bn: String? = nil, relu: Bool = false) -> Tensor {
        let bias = store.contains(key + ".bias") ? store[key + ".bias"].value : nil
        let weight = store[key + ".weight"].value
        // Without gradients only (as `forward` runs): there its transformed
        // weights are cached; with them they would be made at every call.
        if fusedWinograd, o.dilation.h <= 4, !GradMode.enabled,
           let y = x.conv2dWinogradGrouped(weight, bias: bias, o, epilogue: bn.map { epilogue($0, relu: relu) }) {
            return y
        }
        var y = x.conv2dSkippingPaddingTaps(weight, bias: bias, o, winograd: allowsWinograd && Winograd.allowed(training: false))
        if let bn { y.applyChannelEpilogue(epilogue(bn, relu: relu)) }
        return y
    }

    func bottleneck(_ x: Tensor, _ b: Block, stage: Int) -> Tensor {
        let p = b.prefix, cfg = config
        var out = conv(x, p + "conv1", bn: p + "bn1", relu: true)
        let avd = b.avdStride.map { AvgPool2DOptions(kernel: 3, stride: $0, padding: 1, ceilMode: false, countIncludePad: true) }
        if let avd, cfg.avdFirst { out = out.avgPool2d(avd) }
        let u = conv(out, p + "conv2.conv",
                     Conv2DOptions(stride: b.convStride, padding: b.dilation, dilation: b.dilation, groups: cfg.groups * cfg.radix),
                     bn: p + "conv2.bn0", relu: true)
        out = SplitAttention.apply(u, radix: cfg.radix, groups: cfg.groups,
                                   fc1: (store[p + "conv2.fc1.weight"].value, store[p + "conv2.fc1.bias"].value),
                                   bn1: epilogue(p + "conv2.bn1", relu: true),
                                   fc2: (store[p + "conv2.fc2.weight"].value, store[p + "conv2.fc2.bias"].value))
        if let avd, !cfg.avdFirst { out = out.avgPool2d(avd) }
        out = conv(out, p + "conv3", bn: p + "bn3")
        let residual: Tensor
        switch b.downsample {
        case let .pooled(pool)?:
            residual = conv(pool.map { x.avgPool2d($0) } ?? x, p + "downsample.1", bn: p + "downsample.2")
        case let .strided(s)?:
            residual = conv(x, p + "downsample.0", Conv2DOptions(stride: s), bn: p + "downsample.1")
        case nil:
            residual = x
        }
        out.addRelu(residual)
        return out
    }

    // MARK: Forward

    /// Every stage's output for one forward pass.
    public struct Outputs {
        /// After the stem's last conv + bn1 + ReLU, before max pooling.
        public var stem: Tensor
        /// layer1 ... layer4 outputs.
        public var c1, c2, c3, c4: Tensor
        /// The ASPP projection (after BN + ReLU).
        public var aspp: Tensor
        /// Classifier output at the feature resolution, before upsampling.
        public var head: Tensor
        /// `head` upsampled (bilinear, align_corners) to the input size: `net(x)[0]`.
        public var logits: Tensor
        /// The aux head before / after upsampling (when asked for).
        public var auxHead: Tensor?, aux: Tensor?
    }

    /// Why `forward` cannot take an input of this shape (nil when it can):
    /// it must be (N, 3, H, W) with each side at least `minimumSide`, and
    /// the sides' sizes must agree between every block's main path and its
    /// residual. For callers holding user input (the worker's `segment`).
    public func inputProblem(_ shape: [Int]) -> String? {
        guard shape.count == 4, shape[1] == 3 else { return "the scene segmenter takes (N, 3, H, W) images, got shape \(shape)" }
        let m = minimumSide
        guard sideFits(shape[2]) && sideFits(shape[3]) else {
            return "images of shape \(shape) are too small for the scene segmenter: it needs (N, 3, H, W) with H and W at least \(m) (and sizes its pooling layers can halve consistently)"
        }
        return nil
    }

    /// The smallest side `forward` takes.
    public var minimumSide: Int { (1...4096).first(where: sideFits) ?? 4096 }

    /// Traces one side's length through the network's strided layers.
    func sideFits(_ n0: Int) -> Bool {
        // Output length of a window op, nil where the window does not fit.
        func window(_ n: Int, kernel: Int, stride: Int, padding: Int, dilation: Int = 1) -> Int? {
            let span = n + 2 * padding - dilation * (kernel - 1) - 1
            return span >= 0 ? span / stride + 1 : nil
        }
        func pool(_ n: Int, _ o: AvgPool2DOptions) -> Int? {
            n + 2 * o.padding - o.kernel >= 0 ? o.outputSize(n) : nil
        }
        guard n0 >= 1 else { return false }
        let stem = config.deepStem ? window(n0, kernel: 3, stride: 2, padding: 1) : window(n0, kernel: 7, stride: 2, padding: 3)
        guard let s = stem, var n = window(s, kernel: 3, stride: 2, padding: 1) else { return false }
        for blocks in stages {
            for b in blocks {
                var main = n
                let avd = b.avdStride.map { AvgPool2DOptions(kernel: 3, stride: $0, padding: 1, ceilMode: false, countIncludePad: true) }
                if let avd, config.avdFirst { guard let v = pool(main, avd) else { return false }; main = v }
                guard let c = window(main, kernel: 3, stride: b.convStride, padding: b.dilation, dilation: b.dilation) else { return false }
                main = c
                if let avd, !config.avdFirst { guard let v = pool(main, avd) else { return false }; main = v }
                var residual = n
                switch b.downsample {
                case let .pooled(p)?:
                    if let p { guard let v = pool(n, p) else { return false }; residual = v }
                case let .strided(st)?:
                    residual = (n - 1) / st + 1
                case nil:
                    break
                }
                guard main == residual, main >= 1 else { return false }
                n = main
            }
        }
        return true
    }

    /// The network on normalised input x (N, 3, H, W); any H, W.
    /// Runs without recording gradients (the network only labels), so the
    /// weights its convolutions rearrange are kept between calls
    /// (`TransformedWeightCache`: the ASPP branches' tap regions, 38 MB).
    public func forward(_ x: Tensor, aux runAux: Bool = false) -> Outputs {
        GradMode.withoutGradients { forwardPass(x, aux: runAux) }
    }

    private func forwardPass(_ x: Tensor, aux runAux: Bool) -> Outputs {
        precondition(x.rank == 4 && x.shape[1] == 3, "SceneSegmenter: input must be (N, 3, H, W), got \(x.shape)")
        precondition(!runAux || config.aux, "SceneSegmenter: the aux head is not built (config aux false)")
        let h = x.shape[2], w = x.shape[3]
        var y: Tensor
        if config.deepStem {
            y = conv(x, "pretrained.conv1.0", Conv2DOptions(stride: 2, padding: 1), bn: "pretrained.conv1.1", relu: true)
            y = conv(y, "pretrained.conv1.3", Conv2DOptions(padding: 1), bn: "pretrained.conv1.4", relu: true)
            y = conv(y, "pretrained.conv1.6", Conv2DOptions(padding: 1), bn: "pretrained.bn1", relu: true)
        } else {
            y = conv(x, "pretrained.conv1", Conv2DOptions(stride: 2, padding: 3), bn: "pretrained.bn1", relu: true)
        }
        let stem = y
        y = y.maxPool2dValues(kernel: 3, stride: 2, padding: 1)
        var c: [Tensor] = []
        for (s, blocks) in stages.enumerated() {
            for b in blocks { y = bottleneck(y, b, stage: s) }
            c.append(y)
        }
        let aspp = asppForward(c[3])
        let hb = conv(aspp, "head.block.0", Conv2DOptions(padding: 1), bn: "head.block.1", relu: true)
        let head = conv(hb, "head.block.4")
        var out = Outputs(stem: stem, c1: c[0], c2: c[1], c3: c[2], c4: c[3], aspp: aspp, head: head,
                          logits: head.resizeBilinear(height: h, width: w, alignCorners: true))
        if runAux {
            let a = conv(c[2], "auxlayer.conv5.0", Conv2DOptions(padding: 1), bn: "auxlayer.conv5.1", relu: true)
            let ah = conv(a, "auxlayer.conv5.4")
            out.auxHead = ah
            out.aux = ah.resizeBilinear(height: h, width: w, alignCorners: true)
        }
        return out
    }

    func asppForward(_ x: Tensor) -> Tensor {
        var branches = [conv(x, "head.aspp.b0.0", bn: "head.aspp.b0.1", relu: true)]
        for (i, rate) in config.atrousRates.enumerated() {
            branches.append(conv(x, "head.aspp.b\(i + 1).0", Conv2DOptions(padding: rate, dilation: rate),
                                 bn: "head.aspp.b\(i + 1).1", relu: true))
        }
        // Image pooling: global mean -> 1x1 conv -> BN -> ReLU, upsampled from
        // 1x1 (align_corners) = broadcast over the map.
        let pool = config.atrousRates.count + 1
        let g = conv(x.globalAveragePool(), "head.aspp.b\(pool).gap.1", bn: "head.aspp.b\(pool).gap.2", relu: true)
        branches.append(g.resizeBilinear(height: x.shape[2], width: x.shape[3], alignCorners: true))
        return conv(Tensor.concat(branches, axis: 1), "head.aspp.project.0", bn: "head.aspp.project.1", relu: true)
    }

    /// The network's input for generator images in [-1, 1]:
    /// ((1 + img) / 2 - mean) / std per channel (no clamping, as LinearGAN).
    public static func normalize(images: Tensor) -> Tensor {
        precondition(images.rank == 4 && images.shape[1] == 3, "SceneSegmenter: images must be (N, 3, H, W), got \(images.shape)")
        let n = images.shape[0], p = images.shape[2] * images.shape[3]
        var out = images.data
        for i in 0..<n {
            for ch in 0..<3 {
                let base = (i * 3 + ch) * p, m = mean[ch], s = std[ch]
                for q in 0..<p { out[base + q] = ((1 + out[base + q]) / 2 - m) / s }
            }
        }
        return Tensor(shape: images.shape, data: out)
    }
}

extension Tensor {
    /// self = relu(self + other), same shapes; across cores.
    mutating func addRelu(_ other: Tensor) {
        precondition(shape == other.shape, "addRelu: \(shape) vs \(other.shape)")
        let n = count
        data.withUnsafeMutableBufferPointer { a in
            other.data.withUnsafeBufferPointer { b in
                let pa = UncheckedSendable(a.baseAddress!), pb = UncheckedSendable(b.baseAddress!)
                Parallel.forEach(n, minimum: SceneSegmenter.grain) { range in
                    for i in range { let v = pa.value[i] + pb.value[i]; pa.value[i] = v > 0 ? v : 0 }
                }
            }
        }
    }
}
