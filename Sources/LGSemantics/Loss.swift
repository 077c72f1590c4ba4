import LGTensor

/// The training loss of the reference `SELearner`.
public enum SegLossKind: String, Codable, Sendable, CaseIterable {
    /// Cross-entropy on the final segmentation.
    case normal
    /// Focal loss (alpha 1, gamma 2 on the per-pixel CE, mean) on the final segmentation.
    case focal
    /// Final CE + 0.1 x the CE of every per-layer output (each resized to
    /// the label resolution).
    case normallayer

    /// The reference's reading of its `--loss-type` string: exactly "focal"
    /// is focal; otherwise any name containing "layer" adds the per-layer
    /// CE terms; anything else is plain CE.
    public init(referenceName name: String) {
        if name == "focal" { self = .focal } else if name.contains("layer") { self = .normallayer } else { self = .normal }
    }
}

/// Weight of each per-layer term of `normallayer`.
public let layerLossWeight: Float = 0.1

/// The loss of one training step from the extractor outputs `segs`
/// (per-layer outputs + final, or NSE-2's single output) against `labels`
/// (N, H, W) at the label resolution. Each output is bilinearly resized
/// (align_corners=True) to the label width when its size differs.
public func segmentationLoss(_ segs: [Variable], labels: Labels, kind: SegLossKind) -> Variable {
    precondition(labels.shape.count == 3, "labels must be (N, H, W), got \(labels.shape)")
    let h = labels.shape[1], w = labels.shape[2]
    func atLabelSize(_ s: Variable) -> Variable {
        (s.shape[2] == h && s.shape[3] == w) ? s : s.resizeBilinear(height: h, width: w, alignCorners: true)
    }
    let final = atLabelSize(segs[segs.count - 1])
    switch kind {
    case .normal:
        return final.crossEntropy(labels)
    case .focal:
        return final.focalLoss(labels, alpha: 1, gamma: 2)
    case .normallayer:
        var total: Variable? = nil
        for s in segs.dropLast() {
            let term = atLabelSize(s).crossEntropy(labels).scaled(layerLossWeight)
            total = total.map { $0 + term } ?? term
        }
        let f = final.crossEntropy(labels)
        return total.map { $0 + f } ?? f
    }
}

extension SemanticExtractor {
    /// Forward on `features` at the label resolution and the loss against
    /// `labels`; returns the loss and the outputs.
    public func trainingLoss(features: [Tensor], labels: Labels, kind: SegLossKind) throws -> (loss: Variable, segs: [Variable]) {
        let segs = try forward(features, size: labels.shape[2])
        return (segmentationLoss(segs, labels: labels, kind: kind), segs)
    }
}
