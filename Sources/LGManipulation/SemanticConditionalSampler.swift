// Semantic-conditional sampling (SCS): find a latent whose generated image
// has a given label map. A port of the reference's manipulation/scs.py.
import LGTensor
import LGModels
import LGSemantics

/// Options of semantic-conditional sampling (reference defaults of the
/// `scs.py` script: 10 initialisations, 50 Adam steps, lr 0.002, space `z`).
public struct SCSOptions: Sendable, Equatable, Codable {
    /// Number of random z drawn before optimising; the best one is kept.
    public var nInit: Int = 10
    /// Adam steps.
    public var nIter: Int = 50
    public var learningRate: Float = 0.002
    /// `z` or `mixwp` (the reference's `latent_strategy`).
    public var space: LatentSpace = .z
    /// Apply the generator's truncation to wp (the reference does not).
    public var truncate: Bool = false

    public init(nInit: Int = 10, nIter: Int = 50, learningRate: Float = 0.002,
                space: LatentSpace = .z, truncate: Bool = false) {
        self.nInit = nInit; self.nIter = nIter; self.learningRate = learningRate
        self.space = space; self.truncate = truncate
    }

    public func validate() throws {
        guard nInit >= 1 else { throw ManipulationError.invalidOption("n_init must be at least 1, got \(nInit)") }
        guard nIter >= 0 else { throw ManipulationError.invalidOption("n_iter must be >= 0, got \(nIter)") }
        guard learningRate > 0, learningRate.isFinite else {
            throw ManipulationError.invalidOption("lr must be positive, got \(learningRate)")
        }
        guard space != .wp else {
            throw ManipulationError.invalidOption("SCS optimises z: space must be 'z' or 'mixwp', got 'wp'")
        }
    }
}

/// One SCS sample.
public struct SCSSample {
    /// The optimised latent: z (1, zDim) for `z`, (1, L, zDim) for `mixwp`.
    public var z: Tensor
    /// wp (1, L, wDim) of `z`.
    public var wp: Tensor
    /// The generated image (1, 3, R, R) in [-1, 1].
    public var image: Tensor
    /// The scorer's argmax labels of the final sample (1, S, S).
    public var labels: Labels
    /// The best of the n_init draws, before optimisation.
    public var initialZ: Tensor
    public var initialImage: Tensor
    /// The first draw (plain random sampling, no selection), for comparison.
    public var randomImage: Tensor
    /// Fraction of pixels where the scorer's labels equal the target, for
    /// the best initial draw and after optimisation.
    public var initialAgreement: Float
    public var finalAgreement: Float
    /// Cross-entropy to the target before the first and after the last step.
    public var initialLoss: Float
    public var finalLoss: Float
    /// Per step: the cross-entropy term (before that step's update).
    public var lossHistory: [Float]
}

/// Progress of a sampling run.
public struct SCSProgress: Sendable {
    public var target: Int
    public var repeatIndex: Int
    public var iteration: Int
    public var nIter: Int
    public var loss: Float
    /// Samples finished so far and in all (set by `SCSJob`; 0 otherwise).
    public var samplesDone: Int
    public var samplesTotal: Int
}

/// Semantic-conditional sampling with a semantic extractor (or, as the
/// baseline, a predictor on the image) as the scorer.
///
/// For one target label map (square, S x S): draws n_init z ~ N(0, I),
/// scores each by the number of pixels where the scorer's argmax on
/// wp = mapping(z) repeated equals the target, keeps the best, then runs
/// n_iter Adam steps on z (or one z per layer) minimising
/// CE(scorer(G(z)), target) (mean over pixels) + 1e-3 |z - z0|^2
/// + 1e-3 |z|^2 / rows (`LatentOptimizer`).
public final class SemanticConditionalSampler {
    public let generator: any StyleGenerator
    public let scorer: SemanticScorer
    public var options: SCSOptions

    public init(generator: any StyleGenerator, scorer: SemanticScorer, options: SCSOptions = SCSOptions()) {
        self.generator = generator
        self.scorer = scorer
        self.options = options
    }

    /// Checks a target (1, S, S) or (S, S): square, labels within the
    /// scorer's classes. Returns it as (1, S, S).
    public func checkTarget(_ target: Labels, what: String = "target label map") throws -> Labels {
        let s = target.shape
        let t: Labels
        if s.count == 2 { t = Labels(shape: [1] + s, data: target.data) }
        else if s.count == 3 && s[0] == 1 { t = target }
        else { throw ManipulationError.wrongSize(what: what, found: "\(s)", expected: "(S, S) or (1, S, S)") }
        guard t.shape[1] == t.shape[2], t.shape[1] > 0 else {
            throw ManipulationError.wrongSize(what: what, found: "\(t.shape[2])x\(t.shape[1])", expected: "a square map")
        }
        let n = scorer.nClasses
        if let bad = t.data.first(where: { $0 < 0 || Int($0) >= n }) {
            throw ManipulationError.labelOutOfRange(what: what, label: Int(bad), nClasses: n)
        }
        return t
    }

    /// Pixel agreement of two label maps of equal size.
    public static func agreement(_ a: Labels, _ b: Labels) -> Float {
        SegmentationMetrics.pixelAccuracy(a, b)
    }

    /// One sample for `target`; `rng` supplies the n_init draws.
    public func sample(target: Labels, rng: inout SeededRandom, targetIndex: Int = 0, repeatIndex: Int = 0,
                       progress: ((SCSProgress) -> Void)? = nil) throws -> SCSSample {
        try options.validate()
        let tar = try checkTarget(target)
        let size = tar.shape[1]
        let g = generator
        // Initialisation: n_init draws scored by pixel agreement, best kept.
        var bestScore = -1, bestZ = Tensor(zeros: [1, g.zDim])
        var bestImage = Tensor(zeros: [1]), randomImage = Tensor(zeros: [1])
        let zs = rng.normalTensor([options.nInit, g.zDim])
        for i in 0..<options.nInit {
            let z = zs.slice(axis: 0, i..<(i + 1))
            let (image, labels) = try GradMode.withoutGradients { () throws -> (Tensor, Labels) in
                var wp = g.latent(fromZ: Variable(z), strategy: .notruncWP)
                if options.truncate { wp = g.truncation(wp) }
                let (img, logits) = try scorer.evaluate(g, wp: wp, size: size)
                return (img.value, Labels.argmax(logits.value))
            }
            if i == 0 { randomImage = image }
            var score = 0
            for k in 0..<labels.count where labels.data[k] == tar.data[k] { score += 1 }
            if score > bestScore { bestScore = score; bestZ = z; bestImage = image }
        }
        let opt = try LatentOptimizer(generator: g, space: options.space, initial: bestZ,
                                      learningRate: options.learningRate, truncate: options.truncate)
        var history: [Float] = []
        for it in 0..<options.nIter {
            let (z, wp) = opt.standardForm()
            let (_, logits) = try scorer.evaluate(g, wp: wp, size: size)
            let ce = logits.crossEntropy(tar)
            let loss = ce + opt.regularizer(z)
            opt.step(loss)
            scorer.clearParameterGradients()
            history.append(ce.value.scalar)
            progress?(SCSProgress(target: targetIndex, repeatIndex: repeatIndex, iteration: it + 1,
                                  nIter: options.nIter, loss: ce.value.scalar, samplesDone: 0, samplesTotal: 0))
        }
        let (zFinal, wpFinal) = opt.current()
        let (image, logits) = try GradMode.withoutGradients { () throws -> (Tensor, Tensor) in
            let r = try scorer.evaluate(g, wp: Variable(wpFinal), size: size)
            return (r.image.value, r.logits.value)
        }
        let labels = Labels.argmax(logits)
        let finalLoss = GradMode.withoutGradients { Variable(logits).crossEntropy(tar).value.scalar }
        let initialLoss: Float
        if let first = history.first { initialLoss = first } else { initialLoss = finalLoss }
        return SCSSample(z: zFinal, wp: wpFinal, image: image, labels: labels,
                         initialZ: bestZ, initialImage: bestImage, randomImage: randomImage,
                         initialAgreement: Float(bestScore) / Float(tar.count),
                         finalAgreement: SegmentationMetrics.pixelAccuracy(labels, tar),
                         initialLoss: initialLoss, finalLoss: finalLoss, lossHistory: history)
    }

    /// `repeats` samples for each target of `targets` (N, S, S), target-major
    /// (the reference's order).
    public func sample(targets: Labels, repeats: Int, rng: inout SeededRandom,
                       progress: ((SCSProgress) -> Void)? = nil) throws -> [[SCSSample]] {
        guard repeats >= 1 else { throw ManipulationError.invalidOption("repeat must be at least 1, got \(repeats)") }
        guard targets.shape.count == 3 else {
            throw ManipulationError.wrongSize(what: "targets", found: "\(targets.shape)", expected: "(N, S, S)")
        }
        let p = targets.shape[1] * targets.shape[2]
        var out: [[SCSSample]] = []
        for t in 0..<targets.shape[0] {
            let tar = Labels(shape: [1, targets.shape[1], targets.shape[2]],
                             data: Array(targets.data[(t * p)..<((t + 1) * p)]))
            var row: [SCSSample] = []
            for r in 0..<repeats {
                row.append(try sample(target: tar, rng: &rng, targetIndex: t, repeatIndex: r, progress: progress))
            }
            out.append(row)
        }
        return out
    }
}

/// The SCS evaluation: mIoU between each target and the predictor's labels
/// of its samples, aggregated over all samples as the reference does.
public struct SCSEvaluation {
    /// Over the optimised samples.
    public var final: IoUAccumulator
    /// Over the best-of-n_init draws before optimisation.
    public var initial: IoUAccumulator
    /// Over plain random draws (the first of each n_init).
    public var random: IoUAccumulator
    /// Per sample [target][repeat]: (mIoU of the sample, pixel accuracy) for the final sample.
    public var perSample: [[(mIoU: Float, pixelAccuracy: Float)]]
    /// The predictor's labels of each final sample [target][repeat] (1, S, S).
    public var predictorLabels: [[Labels]]

    /// Evaluates `samples` [target][repeat] against `targets` (N, S, S).
    public static func evaluate(samples: [[SCSSample]], targets: Labels,
                                predictor: any SegmentationPredictor) -> SCSEvaluation {
        let n = predictor.nClasses
        let size = targets.shape[1], p = targets.shape[1] * targets.shape[2]
        var fin = IoUAccumulator(numClasses: n), ini = fin, rnd = fin
        var per: [[(Float, Float)]] = []
        var labs: [[Labels]] = []
        for (t, row) in samples.enumerated() {
            let tar = Labels(shape: [1, targets.shape[1], targets.shape[2]],
                             data: Array(targets.data[(t * p)..<((t + 1) * p)]))
            var perRow: [(Float, Float)] = []
            var labRow: [Labels] = []
            for s in row {
                let dt = predictor.labels(image: s.image, labelResolution: size)
                let iou = fin.add(dt, tar)
                let valid = iou.filter { $0 > -0.1 }
                let m = valid.isEmpty ? Float.nan : valid.reduce(0, +) / Float(valid.count)
                perRow.append((m, SegmentationMetrics.pixelAccuracy(dt, tar)))
                labRow.append(dt)
                ini.add(predictor.labels(image: s.initialImage, labelResolution: size), tar)
                rnd.add(predictor.labels(image: s.randomImage, labelResolution: size), tar)
            }
            per.append(perRow)
            labs.append(labRow)
        }
        return SCSEvaluation(final: fin, initial: ini, random: rnd,
                             perSample: per.map { $0.map { (mIoU: $0.0, pixelAccuracy: $0.1) } },
                             predictorLabels: labs)
    }
}
