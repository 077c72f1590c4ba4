import LGTensor
import LGModels

/// LSE and NSE-1: one head per used feature layer, per-layer outputs
/// combined by the layer weights into the final segmentation.
///
/// - LSE head: a 1x1 conv C_i -> n_class (bias only when `use_bias`); key
///   `extractor.{i}.weight`.
/// - NSE-1 head: `n_layers` convs (kernel `ksize`, with bias) C_i -> m -> ...
///   -> m -> n_class, m = (C_i + n_class) / 2, ReLU between; keys
///   `extractor.{i}.{2j}.weight|bias`.
/// - theta: `layer_weight`, one value per layer, initialised to ones.
public final class LayerwiseExtractor: SemanticExtractor {
    public let arch: ExtractorArch
    let heads: [[ConvUnit]]
    public let theta: Parameter

    public var layerWeight: Parameter? { theta }

    /// A freshly initialised extractor (PyTorch default conv init drawn from `rng`).
    public init(arch: ExtractorArch, rng: inout SeededRandom) throws {
        try arch.validate()
        guard arch.type == .lse || arch.type == .nse1 else {
            throw SemanticsError.invalidArchitecture("LayerwiseExtractor builds LSE or NSE-1, not \(arch.type.rawValue)")
        }
        self.arch = arch
        var heads: [[ConvUnit]] = []
        for (i, c) in arch.dims.enumerated() {
            if arch.type == .lse {
                heads.append([ConvUnit(prefix: "extractor.\(i).", inChannels: c, outChannels: arch.nClass,
                                       ksize: 1, bias: arch.useBias ?? false, padding: 0, rng: &rng)])
            } else {
                let k = arch.ksize ?? 1, pad = k / 2
                let n = arch.nLayers ?? 3
                let mid = (c + arch.nClass) / 2
                var convs: [ConvUnit] = []
                for j in 0..<n {
                    let inC = j == 0 ? c : mid
                    let outC = j == n - 1 ? arch.nClass : mid
                    // nn.Conv2d's bias defaults to True: NSE-1 always has biases.
                    convs.append(ConvUnit(prefix: "extractor.\(i).\(2 * j).", inChannels: inC, outChannels: outC,
                                          ksize: k, bias: true, padding: pad, rng: &rng))
                }
                heads.append(convs)
            }
        }
        self.heads = heads
        theta = Parameter(Tensor(repeating: 1, shape: [arch.dims.count]), requiresGrad: true, name: "layer_weight")
    }

    /// Keys in the reference's state_dict order: `layer_weight`, then the heads.
    public var namedParameters: [(String, Parameter)] {
        [("layer_weight", theta)] + heads.flatMap { $0.flatMap(\.namedParameters) }
    }

    public func load(_ stateDict: StateDict) throws {
        theta.value = try stateDict.require("layer_weight", shape: theta.shape)
        for h in heads { for c in h { try c.load(stateDict) } }
    }

    /// The normalised layer weights (nil for `unweighted`, where outputs are summed).
    public func layerWeights() -> Variable? {
        switch arch.layerWeightType {
        case .unweighted: return nil
        case .direct: return theta
        case .softplus:
            let w = theta.softplus()
            return w / w.sum()
        case .sigmoid:
            let w = theta.sigmoid()
            return w / w.sum()
        }
    }

    public func forward(_ features: [Variable], size: Int?) throws -> [Variable] {
        let feats = try selectFeatures(features, arch: arch)
        // The heads are independent: they run side by side on the cores
        // (forward and backward), balanced by their multiply-adds.
        let costs = zip(feats, heads).map { f, head in
            Double(f.shape[0] * f.shape[2] * f.shape[3]) * head.reduce(0) { $0 + Double($1.weight.value.count) }
        }
        var outputs = Variable.concurrentBranches(feats, costs: costs) { i, f in
            if let fused = fusedHead(i, f) { return fused }
            var x = f
            for conv in heads[i].dropLast() { x = conv.relu(x) }
            return heads[i][heads[i].count - 1](x)
        }
        let last = outputs[outputs.count - 1]
        let h = size ?? last.shape[2], w = size ?? last.shape[3]
        outputs.append(Self.combine(outputs, weights: layerWeights(), height: h, width: w))
        return outputs
    }

    /// Head `i` on `x` as one fused op (`pointwiseHead`) when it is an NSE-1
    /// head of 1x1 convolutions no wider than `PointwiseHead.maximumChannels`
    /// and `x` needs no gradient (the generator's features); nil otherwise.
    func fusedHead(_ i: Int, _ x: Variable) -> Variable? {
        let head = heads[i]
        guard arch.type == .nse1, !(x.requiresGrad && GradMode.enabled),
              head.allSatisfy({ $0.bias != nil && $0.padding == 0 && $0.weight.shape[2] == 1 && $0.weight.shape[3] == 1 }),
              PointwiseHead.applies([x.shape[1]] + head.map { $0.weight.shape[0] }) else { return nil }
        return x.pointwiseHead(weights: head.map(\.weight), biases: head.map { $0.bias! })
    }

    /// The final output: sum over layers of weight x (layer output resized to
    /// h x w). Resizing is linear, so consecutive layers of one resolution
    /// are weighted and summed first and resized once (StyleGAN2's two
    /// layers per resolution halve the resizing, forward and backward); the
    /// value is the reference's up to float rounding.
    static func combine(_ outputs: [Variable], weights: Variable?, height h: Int, width w: Int) -> Variable {
        // Runs of consecutive outputs with the same spatial size.
        var runs: [Range<Int>] = []
        var start = 0
        for i in 1...outputs.count {
            if i == outputs.count || outputs[i].shape[2] != outputs[start].shape[2] || outputs[i].shape[3] != outputs[start].shape[3] {
                runs.append(start..<i)
                start = i
            }
        }
        var parts: [Variable] = []
        for r in runs {
            let group = Array(outputs[r])
            var merged: Variable
            if let weights {
                merged = Variable.weightedSum(group, weights: r.count == outputs.count ? weights : weights.slice(axis: 0, r))
            } else {
                merged = group[0]
                for x in group.dropFirst() { merged = merged + x }
            }
            if merged.shape[2] != h || merged.shape[3] != w {
                merged = merged.resizeBilinear(height: h, width: w, alignCorners: true)
            }
            parts.append(merged)
        }
        var final = parts[0]
        for x in parts.dropFirst() { final = final + x }
        return final
    }
}
