import LGTensor
import LGSemantics

/// The few-shot LSE learner shared by the `train_fewshot` job and the
/// studio's `/train` page: an LSE (lw_type none) initialised from the "init"
/// stream of a seed, Adam at one learning rate on every parameter, and one
/// training step on one annotated sample at a time.
///
/// A step's loss is the cross-entropy of the final output at the label
/// resolution; with a mask only the annotated pixels count (mean over them),
/// as the reference web app trains on strokes. The loss divided by the
/// accumulation count is back-propagated into the gradients; `update()`
/// applies Adam and clears them.
public final class FewShotLearner {
    public let extractor: any SemanticExtractor
    public let optimizer: Adam

    /// A new LSE for `nClass` classes over feature maps of `dims` channels.
    public init(nClass: Int, dims: [Int], learningRate: Float, seed: UInt64) throws {
        let arch = ExtractorArch(type: .lse, nClass: nClass, dims: dims, lwType: .unweighted)
        var initRNG = RandomStreams.make(seed, "init")
        extractor = try makeSemanticExtractor(arch, rng: &initRNG)
        optimizer = makeOptimizer(for: extractor, learningRate: learningRate, layerWeightLRScale: 1)
    }

    /// One sample's forward and backward: returns the undivided loss and the
    /// final output (N, C, r, r) at the labels' resolution r. `mask` holds
    /// r*r values, 1 where the pixel is annotated; nil: every pixel counts.
    @discardableResult
    public func accumulate(features: [Tensor], labels: Labels, mask: [Float]? = nil,
                           accumulation k: Int = 1) throws -> (loss: Float, output: Tensor) {
        let loss: Variable
        let segs: [Variable]
        if let mask {
            let r = labels.shape[labels.shape.count - 1]
            precondition(mask.count == labels.count, "mask of \(mask.count) values for labels \(labels.shape)")
            segs = try extractor.forward(features, size: r)
            var final = segs[segs.count - 1]
            if final.shape[2] != r || final.shape[3] != r {
                final = final.resizeBilinear(height: r, width: r, alignCorners: true)
            }
            let count = mask.reduce(0, +)
            let perPixel = final.crossEntropyPerPixel(labels)
            loss = (perPixel * Variable(Tensor(shape: perPixel.shape, data: mask))).sum().scaled(1 / max(count, 1))
        } else {
            (loss, segs) = try extractor.trainingLoss(features: features, labels: labels, kind: .normal)
        }
        (k == 1 ? loss : loss.scaled(1 / Float(k))).backward()
        var seg = segs[segs.count - 1].value
        if seg.shape[2] != labels.shape[1] || seg.shape[3] != labels.shape[2] {
            seg = seg.resizeBilinear(height: labels.shape[1], width: labels.shape[2], alignCorners: true)
        }
        return (loss.value.scalar, seg)
    }

    /// Adam's step on the accumulated gradients, then zeroed gradients.
    public func update() {
        optimizer.step()
        optimizer.zeroGrad()
    }
}
