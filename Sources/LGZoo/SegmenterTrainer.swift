import Foundation
import LGDomains
import LGModels
import LGSemantics
import LGTensor

/// Settings of a domain segmenter: the face-parser UNet trained on renders
/// with their exact labels.
public struct SegmenterSettings: Codable, Sendable, Equatable {
    public var domain: String
    /// Input and label resolution (a multiple of 16).
    public var resolution: Int = 32
    /// UNet width divisor: filters (64, 128, 256, 512, 1024) / featureScale.
    public var featureScale: Int = 4
    public var steps: Int = 2000
    public var batch: Int = 16
    public var learningRate: Float = 0.002
    /// Learning rate x 0.1 after these fractions of the steps.
    public var decayAt: [Double] = [0.7, 0.9]
    public var seed: UInt64 = 0
    /// Per-class weights of the cross-entropy; nil (files written before the
    /// option existed) is `.none`.
    public var classWeighting: ClassWeighting? = nil
    /// Weight of the Lovász-softmax term (a surrogate of 1 - IoU) added to
    /// the cross-entropy; nil (files written before the option) is 0.
    public var lovaszWeight: Float? = nil
    /// A segmenter file (as `SegmenterFiles.save` writes) whose weights the
    /// training starts from instead of a fresh initialisation: fine-tuning.
    /// Its network must have these settings' shape.
    public var initialWeights: String? = nil

    public init(domain: String) { self.domain = domain }
}

extension SegmenterSettings {
    /// The `worker train-segmenter` command that trains a segmenter with these
    /// settings into `out` (the provenance a registry entry records).
    public func trainCommand(out: String) -> String {
        var c = "worker train-segmenter --domain \(domain) --resolution \(resolution) --feature-scale \(featureScale)"
            + " --steps \(steps) --batch \(batch) --lr \(learningRate) --seed \(seed)"
        if let w = classWeighting, w != .none { c += " --class-weighting \(w.rawValue)" }
        if let w = lovaszWeight, w > 0 { c += " --lovasz-weight \(w)" }
        if let i = initialWeights { c += " --init-from \(i)" }
        return c + " --out \(out)"
    }
}

/// How the segmenter's cross-entropy weighs classes.
public enum ClassWeighting: String, Codable, Sendable, CaseIterable {
    /// Plain mean over pixels (every pixel counts the same).
    case none
    /// Median-frequency balancing: class c weighs median(f) / f_c, clipped to
    /// [0.1, 10], with pixel frequencies f measured on training renders; the
    /// loss is sum(w_label * ce) / sum(w_label), as PyTorch's weighted mean.
    /// Small classes (eyes, lips, lamps) count more, as mIoU counts them.
    case balanced

    /// Class weights from pixel frequencies (absent classes weigh 1).
    public static func balancedWeights(frequencies: [Double]) -> [Float] {
        let present = frequencies.filter { $0 > 0 }.sorted()
        guard !present.isEmpty else { return frequencies.map { _ in 1 } }
        let median = present.count % 2 == 1 ? present[present.count / 2]
            : (present[present.count / 2 - 1] + present[present.count / 2]) / 2
        return frequencies.map { f in f > 0 ? Float(min(10, max(0.1, median / f))) : 1 }
    }
}

/// Held-out accuracy of a segmenter against the renderer's ground truth.
public struct SegmenterEvaluation: Codable, Sendable, Equatable {
    public var classNames: [String]
    /// IoU per class over all held-out pixels (intersection / union summed
    /// over images); -1 for a class absent from both.
    public var datasetIoU: [Float]
    /// Mean of `datasetIoU` over present classes, background included.
    public var datasetMIoU: Float
    /// The reference's per-image aggregate (classes 1..., background excluded).
    public var perImageMIoU: Float
    public var pixelAccuracy: Float
    public var samples: Int
}

/// Trains a UNet on a domain's renders (cross-entropy, Adam, BatchNorm in
/// training mode), then evaluates on held-out seeds.
public final class SegmenterTrainer {
    public let settings: SegmenterSettings
    public let domain: any RenderedDomain
    public let network: FaceParser
    public internal(set) var step = 0
    /// Training time so far, earlier runs of a resumed job included (kept
    /// by whoever times the steps; checkpointed).
    public var trainSeconds: Double = 0
    /// Draws the training batches' seeds (checkpointed).
    var rng: SeededRandom
    /// Adam over the network's parameters (rebuilt when a checkpoint's
    /// weights are loaded: loading replaces the parameter variables).
    var optimizer: Adam
    /// Cross-entropy weight per class; nil for the plain mean.
    public let classWeights: [Float]?

    /// A fresh run; a relative `settings.initialWeights` is read relative to
    /// `root` (the current directory when nil).
    public convenience init(settings: SegmenterSettings, relativeTo root: URL? = nil) throws {
        try self.init(settings: settings, loadInitialWeights: true, root: root)
    }

    /// `loadInitialWeights` false: a resumed run, whose checkpoint holds the weights.
    init(settings: SegmenterSettings, loadInitialWeights: Bool, root: URL? = nil) throws {
        self.settings = settings
        domain = try Domains.named(settings.domain)
        guard settings.resolution >= 16, settings.resolution % 16 == 0 else {
            throw ZooError.badSetting("segmenter resolution \(settings.resolution) must be a multiple of 16")
        }
        network = try FaceParser(config: FaceParserConfig(resolution: settings.resolution, featureScale: settings.featureScale,
                                                          nClasses: domain.classNames.count))
        network.initializeForTraining(seed: settings.seed)
        if loadInitialWeights, let path = settings.initialWeights {
            try Self.loadInitialWeights(URL(fileURLWithPath: path, relativeTo: root), into: network)
        }
        network.requiresParameterGradients = true
        optimizer = Adam([ParameterGroup(network.parameters, learningRate: settings.learningRate)])
        rng = SeededRandom(seed: settings.seed ^ 0x5e9_0000)
        switch settings.classWeighting ?? .none {
        case .none: classWeights = nil
        case .balanced:
            classWeights = ClassWeighting.balancedWeights(
                frequencies: Self.pixelFrequencies(domain, resolution: settings.resolution, seed: settings.seed))
        }
    }

    /// Pixel frequency of each class over 512 training renders (their own
    /// seed stream, so the training batches are the same with or without
    /// weighting).
    public static func pixelFrequencies(_ domain: any RenderedDomain, resolution: Int, seed: UInt64,
                                        samples: Int = 512) -> [Double] {
        var rng = SeededRandom(seed: seed ^ 0xf8e9_0000)
        let classes = domain.classNames.count, batches = max(samples / 64, 1)
        var sum = [Double](repeating: 0, count: classes)
        for _ in 0..<batches {
            let labels = domain.batch(resolution: resolution, seeds: DomainSeeds.training(64, rng: &rng)).labels
            // Equal-sized batches: the mean of their frequencies is the frequency over all of them.
            for (c, f) in LabelStatistics.frequencies(labels, classes: classes).pixels.enumerated() { sum[c] += f }
        }
        return sum.map { $0 / Double(batches) }
    }

    /// Starts `network` from a trained segmenter's weights.
    static func loadInitialWeights(_ url: URL, into network: FaceParser) throws {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw ZooError.badFile(path: url.path, reason: "initial weights not found: train that segmenter first "
                                   + "(`coordinator enqueue train_segmenters --preset wide`) or drop the init parameter")
        }
        let (trained, _) = try SegmenterFiles.load(url)
        guard trained.config == network.config else {
            throw ZooError.badFile(path: url.path, reason: "its network (\(trained.config)) is not the one these settings train "
                                   + "(\(network.config)): give the same resolution and feature scale")
        }
        try network.load(StateDict(trained.checkpointStateDict(), source: url.lastPathComponent))
    }

    /// Mean cross-entropy (`weights` nil), or its class-weighted mean
    /// sum(w_label * ce) / sum(w_label); plus `lovasz` x the Lovász-softmax
    /// loss when `lovasz` > 0.
    static func loss(_ logits: Variable, _ labels: Labels, weights: [Float]?, lovasz: Float = 0) -> Variable {
        let ce: Variable
        if let w = weights {
            let map = Tensor(shape: labels.shape, data: labels.data.map { w[Int($0)] })
            let total = map.sumAll()
            ce = (logits.crossEntropyPerPixel(labels) * Variable(map)).sum().scaled(1 / total)
        } else {
            ce = logits.crossEntropy(labels)
        }
        guard lovasz > 0 else { return ce }
        return ce + logits.lovaszSoftmax(labels).scaled(lovasz)
    }

    public var learningRate: Float {
        let done = Double(step) / Double(max(settings.steps, 1))
        return settings.learningRate * Float(pow(0.1, Double(settings.decayAt.filter { done >= $0 }.count)))
    }

    /// One optimisation step on a fresh batch; returns the loss.
    @discardableResult
    public func trainStep() -> Float {
        let (images, labels) = domain.batch(resolution: settings.resolution,
                                            seeds: DomainSeeds.training(settings.batch, rng: &rng))
        network.training = true
        defer { network.training = false }
        optimizer.groups[0].learningRate = learningRate
        optimizer.zeroGrad()
        let loss = Self.loss(network.forward(Variable(images)), labels, weights: classWeights,
                             lovasz: settings.lovaszWeight ?? 0)
        loss.backward()
        optimizer.step()
        step += 1
        return loss.value.data[0]
    }

    /// Runs the remaining steps, reporting every `every` steps.
    public func train(every: Int = 100, progress: (Int, Float) -> Void = { _, _ in }) {
        var running: Float = 0, n = 0
        while step < settings.steps {
            running += trainStep(); n += 1
            if step % every == 0 || step == settings.steps { progress(step, running / Float(n)); running = 0; n = 0 }
        }
    }

    /// Accuracy on `samples` held-out renders.
    public func evaluate(samples: Int = 500) -> SegmenterEvaluation {
        Self.evaluate(network, domain: domain, resolution: settings.resolution, samples: samples)
    }

    public static func evaluate(_ net: FaceParser, domain: any RenderedDomain, resolution: Int, samples: Int,
                                batch: Int = 50) -> SegmenterEvaluation {
        let k = domain.classNames.count
        var inter = [Int](repeating: 0, count: k), union = inter
        var perImage = IoUAccumulator(numClasses: k)
        var start = 0
        while start < samples {
            let n = min(batch, samples - start)
            let (images, gt) = domain.batch(resolution: resolution, seeds: DomainSeeds.heldOut(n, offset: start))
            let predicted = net.predict(images).labels
            let hw = resolution * resolution
            for b in 0..<n {
                let d = Labels(shape: [1, resolution, resolution], data: Array(predicted.data[b * hw ..< (b + 1) * hw]))
                let g = Labels(shape: [1, resolution, resolution], data: Array(gt.data[b * hw ..< (b + 1) * hw]))
                _ = perImage.add(d, g)
            }
            for i in 0..<predicted.count {
                let a = Int(predicted.data[i]), b = Int(gt.data[i])
                if a == b { inter[a] += 1; union[a] += 1 } else { union[a] += 1; union[b] += 1 }
            }
            start += n
        }
        let iou: [Float] = (0..<k).map { union[$0] == 0 ? -1 : Float(inter[$0]) / Float(union[$0]) }
        let present = iou.filter { $0 >= 0 }
        let r = perImage.result
        return SegmenterEvaluation(classNames: domain.classNames, datasetIoU: iou,
                                   datasetMIoU: present.reduce(0, +) / Float(max(present.count, 1)),
                                   perImageMIoU: r.mIoU, pixelAccuracy: r.pixelAccuracy, samples: samples)
    }
}
