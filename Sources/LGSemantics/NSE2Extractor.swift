import LGTensor
import LGModels

/// NSE-2, the generator-like head:
/// `extractor.{i}.0` conv C_i -> C_i + ReLU, `reviser.{i-1}.0` conv
/// C_{i-1} -> C_i + ReLU, `visualizer` conv C_last -> n_class (all
/// `ksize` x `ksize`, padding ksize/2, with bias).
/// hidden = extractor[0](f_0); for i > 0: nearest-upsample hidden x2 when it is
/// half the size of f_i, then hidden = reviser[i-1](hidden) + extractor[i](f_i).
/// Output: [visualizer(hidden)], bilinearly resized to `size` when given.
public final class NSE2Extractor: SemanticExtractor {
    public let arch: ExtractorArch
    let extractor: [ConvUnit]
    let reviser: [ConvUnit]
    let visualizer: ConvUnit

    public var layerWeight: Parameter? { nil }

    public init(arch: ExtractorArch, rng: inout SeededRandom) throws {
        try arch.validate()
        guard arch.type == .nse2 else {
            throw SemanticsError.invalidArchitecture("NSE2Extractor builds NSE-2, not \(arch.type.rawValue)")
        }
        self.arch = arch
        let k = arch.ksize ?? 3
        var ex: [ConvUnit] = []
        for (i, c) in arch.dims.enumerated() {
            ex.append(ConvUnit(prefix: "extractor.\(i).0.", inChannels: c, outChannels: c, ksize: k,
                               bias: true, padding: k / 2, rng: &rng))
        }
        var rv: [ConvUnit] = []
        for i in 1..<max(arch.dims.count, 1) {
            rv.append(ConvUnit(prefix: "reviser.\(i - 1).0.", inChannels: arch.dims[i - 1], outChannels: arch.dims[i],
                               ksize: k, bias: true, padding: k / 2, rng: &rng))
        }
        extractor = ex
        reviser = rv
        visualizer = ConvUnit(prefix: "visualizer.", inChannels: arch.dims.last!, outChannels: arch.nClass,
                              ksize: k, bias: true, padding: k / 2, rng: &rng)
    }

    public var namedParameters: [(String, Parameter)] {
        extractor.flatMap(\.namedParameters) + reviser.flatMap(\.namedParameters) + visualizer.namedParameters
    }

    public func load(_ stateDict: StateDict) throws {
        for c in extractor { try c.load(stateDict) }
        for c in reviser { try c.load(stateDict) }
        try visualizer.load(stateDict)
    }

    public func forward(_ features: [Variable], size: Int?) throws -> [Variable] {
        let feats = try selectFeatures(features, arch: arch)
        var hidden = extractor[0].relu(feats[0])
        for i in 1..<feats.count {
            let f = feats[i]
            if hidden.shape[2] * 2 == f.shape[2] {
                hidden = hidden.upsampleNearest(2)
            }
            guard hidden.shape[2] == f.shape[2] && hidden.shape[3] == f.shape[3] else {
                throw SemanticsError.featureMismatch(
                    "NSE-2 layer \(arch.layers[i]): hidden map \(hidden.shape) cannot be merged with feature \(f.shape); feature maps must keep or double their size from layer to layer")
            }
            hidden = reviser[i - 1].relu(hidden) + extractor[i].relu(f)
        }
        var x = visualizer(hidden)
        if let size, size != x.shape[3] {
            x = x.resizeBilinear(height: size, width: size, alignCorners: true)
        }
        return [x]
    }
}
