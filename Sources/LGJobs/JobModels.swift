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

    public init(generator: any Generator, predictor: any SegmentationPredictor, labelResolution: Int) {
        self.generator = generator; self.predictor = predictor; self.labelResolution = labelResolution
    }

    /// Resolves `choice` through the registry.
    public static func load(_ choice: ModelChoice, registry: ModelRegistry,
                            options: GeneratorOptions = .init()) throws -> JobModels {
        let entry = try registry.generatorEntry(choice.generator)
        let predictorName = try registry.predictorName(forGenerator: choice.generator, override: choice.predictor)
        // The predictor first: a scene GAN fails fast on missing scene-segmenter weights.
        let p = try registry.loadPredictor(predictorName, weights: choice.predictorWeights, generator: choice.generator)
        let g = try registry.loadGenerator(choice.generator, weights: choice.generatorWeights, options: options)
        return JobModels(generator: g, predictor: p, labelResolution: choice.labelResolution ?? entry.labelResolution)
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
}
