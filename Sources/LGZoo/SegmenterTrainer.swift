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

    public init(domain: String) { self.domain = domain }
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

    public init(settings: SegmenterSettings) throws {
        self.settings = settings
        domain = try Domains.named(settings.domain)
        guard settings.resolution >= 16, settings.resolution % 16 == 0 else {
            throw ZooError.badSetting("segmenter resolution \(settings.resolution) must be a multiple of 16")
        }
        network = try FaceParser(config: FaceParserConfig(resolution: settings.resolution, featureScale: settings.featureScale,
                                                          nClasses: domain.classNames.count))
        network.initializeForTraining(seed: settings.seed)
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

    /// Mean cross-entropy (`weights` nil), or its class-weighted mean
    /// sum(w_label * ce) / sum(w_label).
    static func loss(_ logits: Variable, _ labels: Labels, weights: [Float]?) -> Variable {
        guard let w = weights else { return logits.crossEntropy(labels) }
        let map = Tensor(shape: labels.shape, data: labels.data.map { w[Int($0)] })
        let total = map.sumAll()
        return (logits.crossEntropyPerPixel(labels) * Variable(map)).sum().scaled(1 / total)
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
        let loss = Self.loss(network.forward(Variable(images)), labels, weights: classWeights)
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
