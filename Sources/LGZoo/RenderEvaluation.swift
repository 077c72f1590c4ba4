import LGDomains
import LGModels
import LGSemantics
import LGTensor

/// Semantic extractors scored against the renderer's exact labels.
///
/// An extractor reads a generator's feature maps, so it cannot be applied to
/// a rendered image as it is: the renders are first inverted into the
/// generator (`RenderInversion`), and the extractor then reads the features
/// of the fitted latents. Beside each extractor's mIoU against the exact
/// labels, the evaluation reports what bounds it: the predictor on the
/// renders themselves (its held-out score: the labels every extractor
/// learnt from are this good), the predictor on the reconstructions (what
/// inversion loses), and each extractor against the predictor on the
/// reconstructions (the paper's usual measure, on these images).
public struct RenderEvaluation: Codable, Equatable, Sendable {
    public struct ExtractorScore: Codable, Equatable, Sendable {
        public var name: String
        /// Against the renders' exact labels.
        public var vsTruth: MIoUResult
        /// Against the predictor's labels of the reconstructions.
        public var vsPredictor: MIoUResult
    }

    public var generator: String
    public var domain: String
    public var classNames: [String]
    public var samples: Int
    public var settings: InversionSettings
    /// The space actually fitted: `settings.space` for the StyleGAN family, "z" for PGGAN.
    public var latentSpace: String
    /// Mean PSNR (dB) of the starting candidates and of the reconstructions.
    public var startPSNR: Double
    public var psnr: Double
    public var predictorOnRenders: MIoUResult
    public var predictorOnReconstructions: MIoUResult
    public var extractors: [ExtractorScore]

    /// What `run` returns beside the scores: the images and label maps, for sheets.
    public struct Pictures {
        public var renders: Tensor
        public var reconstructions: Tensor
        public var truth: Labels
        /// Each extractor's labels of the reconstructions, in `extractors` order.
        public var extracted: [Labels]
    }

    /// Renders `samples` held-out images of `domain` (`DomainSeeds.heldOut`),
    /// inverts them into `generator` and scores the predictor and every
    /// extractor at the generator's resolution.
    public static func run(generatorName: String, generator g: any Generator, predictor: any SegmentationPredictor,
                           domain: any RenderedDomain, extractors: [(name: String, extractor: any SemanticExtractor)],
                           samples: Int, settings: InversionSettings,
                           progress: ((_ done: Int, _ total: Int) -> Void)? = nil) throws -> (RenderEvaluation, Pictures) {
        guard samples >= 1 else { throw ZooError.badSetting("render evaluation needs at least one sample, got \(samples)") }
        guard predictor.nClasses == domain.classNames.count else {
            throw ZooError.badSetting("the predictor has \(predictor.nClasses) classes, the domain \(domain.name) \(domain.classNames.count)")
        }
        for (name, se) in extractors where se.arch.nClass != domain.classNames.count {
            throw ZooError.badSetting("extractor \(name) has \(se.arch.nClass) classes, the domain \(domain.name) \(domain.classNames.count)")
        }
        let r = g.resolution, k = domain.classNames.count
        let (renders, truth) = domain.batch(resolution: r, seeds: DomainSeeds.heldOut(samples))
        let inversion = try RenderInversion.invert(renders, generator: g, settings: settings, progress: progress)

        var onRenders = IoUAccumulator(numClasses: k), onRecon = IoUAccumulator(numClasses: k)
        var vsTruth = extractors.map { _ in IoUAccumulator(numClasses: k) }
        var vsPredictor = vsTruth
        var extracted = extractors.map { _ in [Labels]() }
        for b0 in stride(from: 0, to: samples, by: settings.batch) {
            let range = b0..<min(samples, b0 + settings.batch)
            RenderInversion.fixNoise(g, seed: settings.seed &+ UInt64(b0))
            let (images, features) = g.generate(inversion.latents.slice(axis: 0, range), features: true)
            let predictedRender = predictor.labels(image: renders.slice(axis: 0, range), labelResolution: r)
            let predictedRecon = predictor.labels(image: images, labelResolution: r)
            let gt = truth.slice(range)
            for i in 0..<range.count {
                onRenders.add(predictedRender.slice(i..<(i + 1)), gt.slice(i..<(i + 1)))
                onRecon.add(predictedRecon.slice(i..<(i + 1)), gt.slice(i..<(i + 1)))
            }
            for (e, (_, se)) in extractors.enumerated() {
                let labels = try se.predict(features, size: r)
                extracted[e].append(labels)
                for i in 0..<range.count {
                    vsTruth[e].add(labels.slice(i..<(i + 1)), gt.slice(i..<(i + 1)))
                    vsPredictor[e].add(labels.slice(i..<(i + 1)), predictedRecon.slice(i..<(i + 1)))
                }
            }
        }
        func meanPSNR(_ mse: [Float]) -> Double { mse.map { RenderInversion.psnr(mse: $0) }.reduce(0, +) / Double(mse.count) }
        let scores = extractors.enumerated().map { e, x in
            ExtractorScore(name: x.name, vsTruth: vsTruth[e].result, vsPredictor: vsPredictor[e].result)
        }
        let result = RenderEvaluation(generator: generatorName, domain: domain.name, classNames: domain.classNames,
                                      samples: samples, settings: settings,
                                      latentSpace: g is any StyleGenerator ? settings.space.rawValue : "z", startPSNR: meanPSNR(inversion.startMSE),
                                      psnr: meanPSNR(inversion.mse), predictorOnRenders: onRenders.result,
                                      predictorOnReconstructions: onRecon.result, extractors: scores)
        let pictures = Pictures(renders: renders, reconstructions: inversion.images, truth: truth,
                                extracted: extracted.map { Labels.concat($0) })
        return (result, pictures)
    }
}
