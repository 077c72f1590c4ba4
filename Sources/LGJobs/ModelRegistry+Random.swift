import Foundation
import LGTensor
import LGModels

extension ModelRegistry {
    /// A registered generator and the predictor that labels it, at their
    /// registered sizes, with seeded random weights and no weight files:
    /// what `lg-bench --section job` times at the paper's scale (the cost
    /// of a step does not depend on the weights' values).
    ///
    /// Generators get `randomizeWeights` (genforce's initialisation), the
    /// face parser He-normal convolutions with unit BatchNorm, the scene
    /// segmenter `randomize` restricted to the generator's label set, as a
    /// `train` job would label it.
    public func randomJobModels(generator name: String, seed: UInt64) throws -> JobModels {
        let entry = try generatorEntry(name)
        let generator = try buildGenerator(entry)
        switch generator {
        case let g as any StyleGenerator: g.randomizeWeights(seed: seed)
        case let g as PGGANGenerator: g.randomizeWeights(seed: seed)
        default:
            throw RegistryError.badConfig(file: "generators.json",
                                          reason: "generator '\(name)': random weights are defined for PGGAN, StyleGAN and StyleGAN2")
        }
        let p = try predictorEntry(try predictorName(forGenerator: name, override: nil))
        let predictor: any SegmentationPredictor
        switch p.kind {
        case .sceneSegmenter:
            let config = try sceneConfig(p)
            let net = try SceneSegmenter(config: config)
            net.randomize(seed: seed &+ 1)
            net.labelSelection = try sceneLabelSelection(labelSet: entry.labelSet ?? p.labelSet ?? "ade20k",
                                                         classes: config.nClasses)
            predictor = net
        case .faceUNet:
            let config: FaceParserConfig
            do { config = try JSONDecoder().decode(FaceParserConfig.self, from: (p.config ?? .object([:])).data()) } catch {
                throw RegistryError.badConfig(file: "predictors.json", reason: "predictor '\(p.name)': config does not decode: \(error)")
            }
            let parser = try FaceParser(config: config)
            parser.initializeForTraining(seed: seed &+ 1)
            predictor = parser
        case .landmarkParser:
            throw RegistryError.notRunnable(model: p.name, reason: "dlib's landmark model has no random-weight form; it needs its .dat file")
        }
        return JobModels(generator: generator, predictor: predictor, labelResolution: entry.labelResolution)
    }
}
