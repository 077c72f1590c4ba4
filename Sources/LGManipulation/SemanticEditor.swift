// Semantic image editing (SIE): move a latent so that the generated image
// follows an edited label map (or edited pixels). A port of the reference's
// manipulation/sie.py and the web app's stroke fusion (home/api.py).
import LGTensor
import LGModels
import LGSemantics

/// The editing loss (the reference's `op`).
public enum EditLoss: String, Codable, Sendable, CaseIterable {
    /// CE of the semantic extractor on the generator's features ("internal").
    case extractor = "internal"
    /// CE of the predictor on the generated image ("external").
    case predictor = "external"
    /// Pixel MSE to a target image, inside and outside the mask ("image").
    case image = "image"

    /// Parses "internal", "external" or "image" with an error naming the choices.
    public init(name: String) throws {
        guard let l = EditLoss(rawValue: name) else {
            throw ManipulationError.invalidOption("unknown loss '\(name)'; choose one of: internal, external, image")
        }
        self = l
    }
}

/// The latent an edit starts from.
public enum EditLatent {
    /// z (1, zDim) or (zDim).
    case z(Tensor)
    /// One z per layer (1, L, zDim) or (L, zDim) (what the web app stores).
    case mixedZ(Tensor)
    /// wp (1, L, wDim) or (L, wDim).
    case wp(Tensor)

    var tensor: Tensor {
        switch self { case .z(let t), .mixedZ(let t), .wp(let t): return t }
    }
}

/// What the edit aims at.
public enum EditTarget {
    /// A label map (S, S) or (1, S, S) for the `internal` / `external` losses.
    case labels(Labels)
    /// An image (1, 3, S, S) or (3, S, S) in [-1, 1] for the `image` loss.
    case image(Tensor)
}

/// Options of an edit (reference `sie.py` script: mixwp, Adam, 50 steps, lr 0.002).
public struct EditOptions: Sendable, Equatable {
    public var nIter: Int = 50
    public var learningRate: Float = 0.002
    /// The optimised space; nil: `mixwp` for z latents, `wp` for wp latents.
    public var space: LatentSpace? = nil
    public var truncate: Bool = false
    /// With a mask: the target outside the mask is replaced by the current
    /// labels (image), as the web app's `fuse_stroke` does before editing.
    public var fuseOutsideMask: Bool = true

    public init(nIter: Int = 50, learningRate: Float = 0.002, space: LatentSpace? = nil,
                truncate: Bool = false, fuseOutsideMask: Bool = true) {
        self.nIter = nIter; self.learningRate = learningRate; self.space = space
        self.truncate = truncate; self.fuseOutsideMask = fuseOutsideMask
    }
}

/// The outcome of an edit.
public struct EditResult {
    public var space: LatentSpace
    /// The edited latent in `space` (z (1, zDim), (1, L, zDim) or wp (1, L, wDim)).
    public var latent: Tensor
    public var wp: Tensor
    public var beforeImage: Tensor
    public var afterImage: Tensor
    /// Label maps (1, S, S) before and after, by the loss's scorer (for the
    /// `image` loss: the extractor if given, else the predictor, else nil).
    public var beforeLabels: Labels?
    public var afterLabels: Labels?
    /// The target actually optimised for (after fusion with the current
    /// labels / image outside the mask).
    public var fusedLabels: Labels?
    public var fusedImage: Tensor?
    /// The mask (S x S, 1 = edited) used, if any.
    public var mask: [Float]?
    /// Total loss per step.
    public var lossHistory: [Float]
    /// Measurements: `agreement_{inside,outside,all}_{before,after}` (label
    /// losses: label agreement with the target; for the internal loss with a
    /// predictor also `predictor_agreement_...`, the predictor's labels of the
    /// images, an independent check), `mse_{inside,outside}_{before,after}`
    /// (image loss: per-pixel squared error summed over channels).
    public var metrics: [String: Float]
}

/// Optimises a latent toward an edited label map or image.
public final class SemanticEditor {
    public let generator: any StyleGenerator
    public let extractor: (any SemanticExtractor)?
    public let predictor: (any DifferentiableSegmenter)?

    public init(generator: any StyleGenerator, extractor: (any SemanticExtractor)? = nil,
                predictor: (any DifferentiableSegmenter)? = nil) {
        self.generator = generator
        self.extractor = extractor
        self.predictor = predictor
    }

    func scorer(for loss: EditLoss) throws -> SemanticScorer? {
        switch loss {
        case .extractor:
            guard let e = extractor else { throw ManipulationError.missingModel("the 'internal' loss needs a semantic extractor") }
            return .extractor(e)
        case .predictor:
            guard let p = predictor else { throw ManipulationError.missingModel("the 'external' loss needs a predictor") }
            return .predictor(p)
        case .image:
            if let e = extractor { return .extractor(e) }
            if let p = predictor { return .predictor(p) }
            return nil
        }
    }

    /// `{prefix}_{inside,outside,all}_{before,after}`: the fraction of pixels
    /// whose labels equal the target, inside the mask (>= 0.5), outside it,
    /// and over the whole map (no mask: everything counts as outside).
    static func addAgreement(_ metrics: inout [String: Float], prefix: String, before: Labels, after: Labels,
                             target: Labels, mask: [Float]?) {
        for (name, lab) in [("before", before), ("after", after)] {
            var inS = 0, inN = 0, outS = 0, outN = 0
            for i in 0..<target.count {
                let same = lab.data[i] == target.data[i] ? 1 : 0
                if let m = mask, m[i] >= 0.5 { inS += same; inN += 1 } else { outS += same; outN += 1 }
            }
            if inN > 0 { metrics["\(prefix)_inside_\(name)"] = Float(inS) / Float(inN) }
            if outN > 0 { metrics["\(prefix)_outside_\(name)"] = Float(outS) / Float(outN) }
            metrics["\(prefix)_all_\(name)"] = Float(inS + outS) / Float(target.count)
        }
    }

    /// Labels and the image at the target size for `wp` (no gradients).
    func observe(_ wp: Tensor, scorer: SemanticScorer?, size: Int) throws -> (image: Tensor, labels: Labels?) {
        try GradMode.withoutGradients {
            if let scorer {
                let r = try scorer.evaluate(generator, wp: Variable(wp), size: size)
                return (r.image.value, Labels.argmax(r.logits.value))
            }
            return (generator.synthesis(Variable(wp), features: false).image.value, nil)
        }
    }

    /// Runs the edit. `mask` holds S*S values in [0, 1] (1 = edited pixel),
    /// row-major, at the target's size.
    public func edit(latent: EditLatent, target: EditTarget, mask: [Float]? = nil, loss: EditLoss,
                     options: EditOptions = EditOptions(),
                     progress: ((Int, Float) -> Void)? = nil) throws -> EditResult {
        guard options.nIter >= 0 else { throw ManipulationError.invalidOption("n_iter must be >= 0, got \(options.nIter)") }
        let g = generator
        let space: LatentSpace
        switch latent {
        case .wp:
            space = options.space ?? .wp
            guard space == .wp else { throw ManipulationError.invalidOption("a wp latent can only be optimised in space 'wp'") }
        case .z, .mixedZ:
            space = options.space ?? .mixwp
            guard space != .wp else { throw ManipulationError.invalidOption("a z latent is optimised in space 'z' or 'mixwp', not 'wp'") }
            if case .mixedZ = latent, space == .z {
                throw ManipulationError.invalidOption("a per-layer z latent needs space 'mixwp'")
            }
        }
        let opt = try LatentOptimizer(generator: g, space: space, initial: latent.tensor,
                                      learningRate: options.learningRate, truncate: options.truncate)
        let scorer = try scorer(for: loss)

        // Target and mask at size S.
        let size: Int
        var labels: Labels? = nil
        var image: Tensor? = nil
        switch (target, loss) {
        case (.labels(let l), .extractor), (.labels(let l), .predictor):
            let s = l.shape
            guard (s.count == 2 || (s.count == 3 && s[0] == 1)), s[s.count - 1] == s[s.count - 2], s.last! > 0 else {
                throw ManipulationError.wrongSize(what: "target label map", found: "\(s)", expected: "a square (S, S) or (1, S, S) map")
            }
            size = s.last!
            let n = scorer!.nClasses
            if let bad = l.data.first(where: { $0 < 0 || Int($0) >= n }) {
                throw ManipulationError.labelOutOfRange(what: "target label map", label: Int(bad), nClasses: n)
            }
            labels = Labels(shape: [1, size, size], data: l.data)
        case (.image(let t), .image):
            let s = t.shape
            guard (s.count == 3 && s[0] == 3) || (s.count == 4 && s[0] == 1 && s[1] == 3), s[s.count - 1] == s[s.count - 2] else {
                throw ManipulationError.wrongSize(what: "target image", found: "\(s)", expected: "a square (1, 3, S, S) image")
            }
            size = s.last!
            image = t.reshaped([1, 3, size, size])
        case (.labels, .image):
            throw ManipulationError.invalidOption("the 'image' loss needs a target image (RGB), not a label map")
        case (.image, _):
            throw ManipulationError.invalidOption("the '\(loss.rawValue)' loss needs a target label map, not an image")
        }
        if let mask {
            guard mask.count == size * size else {
                throw ManipulationError.wrongSize(what: "mask", found: "\(mask.count) values",
                                                  expected: "\(size)x\(size) = \(size * size) values (the target's size)")
            }
        }

        let (_, startWP) = opt.current()
        let before = try observe(startWP, scorer: scorer, size: size)
        let beforeImage = before.image
        let beforeSized = resizedImage(beforeImage, size)

        // Fusion as the web app: outside the mask keep what is there now.
        if let m = mask, options.fuseOutsideMask {
            if var l = labels, let cur = before.labels {
                for i in 0..<l.count where m[i] < 0.5 { l.data[i] = cur.data[i] }
                labels = l
            }
            if var img = image {
                let p = size * size
                for c in 0..<3 { for i in 0..<p {
                    img.data[c * p + i] = (1 - m[i]) * beforeSized.data[c * p + i] + m[i] * img.data[c * p + i]
                } }
                image = img
            }
        }

        // The loss of one step.
        let maskT = mask.map { Tensor(shape: [1, 1, size, size], data: $0) }
        func taskLoss(_ wp: Variable) throws -> Variable {
            switch loss {
            case .extractor, .predictor:
                let (_, logits) = try scorer!.evaluate(g, wp: wp, size: size)
                return logits.crossEntropy(labels!)
            case .image:
                var img = g.synthesis(wp, features: false).image
                if img.shape[2] != size || img.shape[3] != size {
                    img = img.resizeBilinear(height: size, width: size, alignCorners: true)
                }
                let diff = (Variable(image!) - img).square()
                guard let mt = maskT else { return diff.sum().scaled(1 / Float(size * size)) }
                let inside = mt.sumAll(), outside = Float(size * size) - inside
                var terms: [Variable] = []
                if outside > 0 {
                    let w = Tensor(repeating: 1, shape: mt.shape) - mt
                    terms.append((diff * Variable(w)).sum().scaled(1 / outside))
                }
                if inside > 0 { terms.append((diff * Variable(mt)).sum().scaled(1 / inside)) }
                return terms.dropFirst().reduce(terms[0], +)
            }
        }

        var history: [Float] = []
        for it in 0..<options.nIter {
            let (z, wp) = opt.standardForm()
            let total = try taskLoss(wp) + opt.regularizer(z)
            opt.step(total)
            scorer?.clearParameterGradients()
            history.append(total.value.scalar)
            progress?(it + 1, total.value.scalar)
        }

        let (finalLatent, finalWP) = opt.current()
        let after = try observe(finalWP, scorer: scorer, size: size)
        var metrics: [String: Float] = [:]
        if let tar = labels, let b = before.labels, let a = after.labels {
            Self.addAgreement(&metrics, prefix: "agreement", before: b, after: a, target: tar, mask: mask)
        }
        // An independent check of an extractor edit: the predictor's labels
        // of the before and after images against the same target.
        if loss == .extractor, let p = predictor, p.nClasses == scorer?.nClasses, let tar = labels {
            let pb = try observe(startWP, scorer: .predictor(p), size: size).labels!
            let pa = try observe(finalWP, scorer: .predictor(p), size: size).labels!
            Self.addAgreement(&metrics, prefix: "predictor_agreement", before: pb, after: pa, target: tar, mask: mask)
        }
        if let tar = image {
            let p = size * size
            for (name, img) in [("before", beforeSized), ("after", resizedImage(after.image, size))] {
                var inS: Float = 0, inN = 0, outS: Float = 0, outN = 0
                for i in 0..<p {
                    var e: Float = 0
                    for c in 0..<3 { let d = img.data[c * p + i] - tar.data[c * p + i]; e += d * d }
                    if let m = mask, m[i] >= 0.5 { inS += e; inN += 1 } else { outS += e; outN += 1 }
                }
                if inN > 0 { metrics["mse_inside_\(name)"] = inS / Float(inN) }
                if outN > 0 { metrics["mse_outside_\(name)"] = outS / Float(outN) }
            }
        }
        return EditResult(space: space, latent: finalLatent, wp: finalWP,
                          beforeImage: beforeImage, afterImage: after.image,
                          beforeLabels: before.labels, afterLabels: after.labels,
                          fusedLabels: labels, fusedImage: image, mask: mask,
                          lossHistory: history, metrics: metrics)
    }
}

/// (1, 3, H, W) bilinearly resized (align_corners) to size x size.
func resizedImage(_ t: Tensor, _ size: Int) -> Tensor {
    if t.shape[2] == size && t.shape[3] == size { return t }
    return t.resizeBilinear(height: size, width: size, alignCorners: true)
}
