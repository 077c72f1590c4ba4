import Foundation
import LGTensor
import LGModels

/// The networks a job runs: a generator, the predictor labelling its
/// images, the label resolution and the class names.
public struct JobModels {
    public let generator: any Generator
    public let predictor: any SegmentationPredictor
    public let labelResolution: Int
    public var classNames: [String] { predictor.classNames }
    /// The label cache's key of these models' samples (nil: not shareable; see `LabelStream`).
    public var labelStream: LabelStream?

    public init(generator: any Generator, predictor: any SegmentationPredictor, labelResolution: Int,
                labelStream: LabelStream? = nil) {
        self.generator = generator; self.predictor = predictor; self.labelResolution = labelResolution
        self.labelStream = labelStream
    }

    /// Resolves `choice` through the registry. `fullLabel` (the reference's
    /// `--full-label 1`): the scene segmenter keeps all 150 ADE20K classes
    /// (151 with background) instead of the generator's selection.
    public static func load(_ choice: ModelChoice, registry: ModelRegistry,
                            options: GeneratorOptions = .init(), fullLabel: Bool = false) throws -> JobModels {
        let entry = try registry.generatorEntry(choice.generator)
        let predictorName = try registry.predictorName(forGenerator: choice.generator, override: choice.predictor)
        if fullLabel, try registry.predictorEntry(predictorName).kind != .sceneSegmenter {
            throw JobError.badParameter(name: "full_label", value: "1",
                                        expected: "a scene GAN: \(predictorName) labels its own fixed classes (only the scene segmenter has a full label set)")
        }
        // The predictor first: a scene GAN fails fast on missing scene-segmenter weights.
        // Without the generator, the scene segmenter labels its own set: all of ADE20K.
        let p = try registry.loadPredictor(predictorName, weights: choice.predictorWeights,
                                           generator: fullLabel ? nil : choice.generator)
        let g = try registry.loadGenerator(choice.generator, weights: choice.generatorWeights, options: options)
        let resolution = choice.labelResolution ?? entry.labelResolution
        return JobModels(generator: g, predictor: p, labelResolution: resolution,
                         labelStream: LabelStream.make(choice: choice, predictorName: predictorName, labelResolution: resolution,
                                                       fullLabel: fullLabel, generator: g, registry: registry))
    }

    /// One fresh sample: z ~ N(0, I) drawn from `rng` for `strategy`, the
    /// image and every feature map, without gradients.
    public func sample(strategy: LatentStrategy, rng: inout SeededRandom) -> (image: Tensor, features: [Tensor]) {
        let z = rng.normalTensor(generator.zShape(batch: 1, strategy: strategy))
        return GradMode.withoutGradients {
            let latent = generator.latent(fromZ: Variable(z), strategy: strategy)
            let r = generator.synthesize(latent, features: true)
            return (r.image.value, r.features.map(\.value))
        }
    }

    /// Synthesis from a prepared latent (z for PGGAN, wp for StyleGAN), without gradients.
    public func synthesize(_ latent: Tensor) -> (image: Tensor, features: [Tensor]) {
        generator.generate(latent, features: true)
    }

    /// The predictor's labels at the label resolution.
    public func labels(_ image: Tensor) -> Labels {
        predictor.labels(image: image, labelResolution: labelResolution)
    }

    /// The labels of sample `index` of `stream`: from `cache` when these
    /// models' samples are shareable and it holds them, else computed (and stored).
    func labels(_ image: Tensor, cache: LabelCache?, stream: String, seed: UInt64, strategy: LatentStrategy, index: Int) -> Labels {
        guard let cache, let s = labelStream else { return labels(image) }
        return cache.labels(key: s.key(stream: stream, seed: seed, strategy: strategy, index: index)) { labels(image) }
    }
}
