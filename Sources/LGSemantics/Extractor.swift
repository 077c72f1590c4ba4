import LGTensor
import LGModels

/// A semantic extractor: maps a generator's feature maps to segmentation
/// logits. Parameter keys are the reference's `state_dict` keys.
public protocol SemanticExtractor: AnyObject, ParameterContainer {
    /// The architecture record (saved with the parameters).
    var arch: ExtractorArch { get }

    /// The layer-weight parameter theta of LSE / NSE-1 (key `layer_weight`);
    /// nil for NSE-2.
    var layerWeight: Parameter? { get }

    /// The segmentation outputs for `features`.
    ///
    /// `features` are either all of the generator's feature maps (then
    /// `arch.layers` selects from them) or exactly the used ones, in order.
    /// LSE / NSE-1 return the per-layer outputs at their own resolution
    /// followed by the final (layer-weighted) output resized to `size`
    /// (bilinear, align_corners=True; when `size` is nil the last layer's
    /// resolution). NSE-2 returns one output, resized to `size` if given.
    func forward(_ features: [Variable], size: Int?) throws -> [Variable]

    /// Sets the parameters from a state dict with the reference's keys.
    func load(_ stateDict: StateDict) throws
}

extension SemanticExtractor {
    /// All parameters except theta (the reference's `model.extractor` group
    /// for LSE / NSE-1; everything for NSE-2).
    public var headParameters: [Parameter] {
        guard let lw = layerWeight else { return parameters }
        return parameters.filter { $0 !== lw }
    }

    /// Forward over plain tensors (features carry no gradient).
    public func forward(_ features: [Tensor], size: Int?) throws -> [Variable] {
        try forward(features.map { Variable($0) }, size: size)
    }

    /// The final segmentation logits at `size`, without recording gradients.
    public func segment(_ features: [Tensor], size: Int?) throws -> Tensor {
        try GradMode.withoutGradients {
            var out = try forward(features, size: size).last!.value
            if let size, out.shape[2] != size || out.shape[3] != size {
                out = out.resizeBilinear(height: size, width: size, alignCorners: true)
            }
            return out
        }
    }

    /// Argmax labels of the final segmentation at `size`.
    public func predict(_ features: [Tensor], size: Int?) throws -> Labels {
        Labels.argmax(try segment(features, size: size))
    }

    /// Loads the parameters of a plain `[key: Tensor]` dictionary.
    public func load(_ tensors: [String: Tensor], source: String) throws {
        try load(StateDict(tensors, source: source))
    }
}

/// Picks the used feature maps as the reference's `_index_feature` does:
/// more features than layers -> features[layers[i]]; as many -> features[i].
func selectFeatures(_ features: [Variable], arch: ExtractorArch) throws -> [Variable] {
    let l = arch.layers.count
    let selected: [Variable]
    if features.count > l {
        guard let bad = arch.layers.first(where: { $0 >= features.count }) else {
            selected = arch.layers.map { features[$0] }
            return try checkChannels(selected, arch: arch)
        }
        throw SemanticsError.featureMismatch(
            "layer index \(bad) out of range for \(features.count) feature maps")
    } else if features.count == l {
        selected = features
    } else {
        throw SemanticsError.featureMismatch(
            "got \(features.count) feature maps, the extractor uses \(l) layers \(arch.layers)")
    }
    return try checkChannels(selected, arch: arch)
}

private func checkChannels(_ fs: [Variable], arch: ExtractorArch) throws -> [Variable] {
    for (i, f) in fs.enumerated() {
        guard f.value.rank == 4, f.shape[1] == arch.dims[i] else {
            throw SemanticsError.featureMismatch(
                "feature for layer \(arch.layers[i]) has shape \(f.shape), expected \(arch.dims[i]) channels (N, C, H, W); the checkpoint was trained on another generator")
        }
    }
    return fs
}

/// Bilinear resize (align_corners=True) to size x size, skipped when the
/// map already has that size (the resize is then the identity).
func resized(_ x: Variable, _ size: Int) -> Variable {
    if x.shape[2] == size && x.shape[3] == size { return x }
    return x.resizeBilinear(height: size, width: size, alignCorners: true)
}
