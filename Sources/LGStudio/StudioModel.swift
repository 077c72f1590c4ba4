import Foundation
import LGTensor
import LGModels
import LGSemantics
import LGJobs

/// The networks one studio serves: a StyleGAN-family generator, the
/// semantic extractor whose label maps `/edit` shows and edits through, and
/// the generator's registered predictor when there is one (it labels
/// validation samples on `/train` and fits the start-up extractor).
public final class StudioModel: @unchecked Sendable {
    public let generatorName: String
    public let generator: any StyleGenerator
    public let extractor: any SemanticExtractor
    public let predictor: (any SegmentationPredictor)?
    public let classNames: [String]
    public let labelResolution: Int
    /// Where the extractor came from ("file PATH" or "fitted ...").
    public let extractorSource: String

    public init(generatorName: String, generator: any StyleGenerator, extractor: any SemanticExtractor,
                predictor: (any SegmentationPredictor)?, classNames: [String], labelResolution: Int, extractorSource: String) {
        self.generatorName = generatorName; self.generator = generator; self.extractor = extractor
        self.predictor = predictor; self.classNames = classNames; self.labelResolution = labelResolution
        self.extractorSource = extractorSource
    }

    public var nClasses: Int { extractor.arch.nClass }

    /// Options of the extractor fitted at start-up when none is given.
    public struct Bootstrap: Sendable {
        public var samples = 16
        public var steps = 1000
        public var learningRate: Float = 0.01
        public init(samples: Int = 16, steps: Int = 1000, learningRate: Float = 0.01) {
            self.samples = samples; self.steps = steps; self.learningRate = learningRate
        }
    }

    /// A registered generator with `extractorPath` (any checkpoint the jobs
    /// read), or, without one, an LSE fitted now on `bootstrap.samples`
    /// samples labelled by the generator's registered predictor
    /// (`FewShotLearner`, seeded by `seed`).
    /// A fitted extractor is also written to `saveFittedTo` (with `G` and
    /// `classes` in its metadata) when given.
    public static func load(generator name: String, extractorPath: String?, registry: ModelRegistry, seed: UInt64,
                            bootstrap: Bootstrap = Bootstrap(), saveFittedTo: URL? = nil,
                            log: (String) -> Void = { _ in }) throws -> StudioModel {
        let entry = try registry.generatorEntry(name)
        let g0 = try registry.loadGenerator(name)
        guard let g = g0 as? any StyleGenerator else {
            throw StudioError(.badRequest, "'\(name)' is not a StyleGAN-family generator; the studio edits z through its mapping network")
        }
        let predictor: (any SegmentationPredictor)?
        do {
            predictor = try registry.loadPredictor(try registry.predictorName(forGenerator: name), generator: name)
        } catch {
            if extractorPath == nil { throw error }
            log("no predictor for \(name) (\(error)); validation shows label maps without mIoU")
            predictor = nil
        }
        let r = entry.labelResolution
        if let extractorPath {
            let se = try SemanticCheckpoint.loadAny(URL(fileURLWithPath: extractorPath))
            let names: [String]
            if let p = predictor, p.nClasses == se.arch.nClass { names = p.classNames }
            else if let m = try? SemanticCheckpoint.readMetadata(URL(fileURLWithPath: extractorPath))["classes"] {
                names = m.split(separator: ",").map(String.init)
            } else { names = (0..<se.arch.nClass).map { "class \($0)" } }
            return StudioModel(generatorName: name, generator: g, extractor: se, predictor: predictor,
                               classNames: names.count == se.arch.nClass ? names : (0..<se.arch.nClass).map { "class \($0)" },
                               labelResolution: r, extractorSource: "file \(extractorPath)")
        }
        let p = predictor!
        let start = Date()
        let se = try fitExtractor(generator: g, predictor: p, labelResolution: r, seed: seed, options: bootstrap)
        let source = "fitted at start-up: \(bootstrap.samples) samples labelled by the predictor, \(bootstrap.steps) steps, seed \(seed)"
        log("extractor \(source) in \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
        if let url = saveFittedTo {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try SemanticCheckpoint.save(se, to: url, metadata: ["G": name, "classes": p.classNames.joined(separator: ","),
                                                                "source": "worker studio start-up fit", "seed": "\(seed)",
                                                                "samples": "\(bootstrap.samples)", "steps": "\(bootstrap.steps)"])
            log("start-up extractor saved to \(url.path)")
        }
        return StudioModel(generatorName: name, generator: g, extractor: se, predictor: p, classNames: p.classNames,
                           labelResolution: r, extractorSource: source)
    }

    /// An LSE trained as `train_fewshot` trains one (sample i mod N, Adam
    /// steps every N samples) on samples labelled by `predictor`.
    static func fitExtractor(generator g: any StyleGenerator, predictor p: any SegmentationPredictor, labelResolution r: Int,
                             seed: UInt64, options: Bootstrap) throws -> any SemanticExtractor {
        var rng = RandomStreams.make(seed, "bootstrap")
        var data: [(features: [Tensor], labels: Labels)] = []
        for _ in 0..<max(1, options.samples) {
            let s = StudioSample.draw(g, rng: &rng)
            data.append((s.features, p.labels(image: s.image, labelResolution: r)))
        }
        let learner = try FewShotLearner(nClass: p.nClasses, dims: g.featureChannels, learningRate: options.learningRate, seed: seed)
        for step in 0..<options.steps {
            let i = step % data.count
            try learner.accumulate(features: data[i].features, labels: data[i].labels, accumulation: data.count)
            if i == data.count - 1 || step == options.steps - 1 { learner.update() }
        }
        return learner.extractor
    }
}

/// One generated sample: its per-layer z (1, L, zDim), wp, image and features.
struct StudioSample {
    var latent: Tensor
    var image: Tensor
    var features: [Tensor]

    /// z ~ N(0, I) from `rng`, one per layer (the reference web app's latent).
    static func draw(_ g: any StyleGenerator, rng: inout SeededRandom) -> StudioSample {
        let z = rng.normalTensor([1, g.zDim])
        let mixed = Tensor.concat(Array(repeating: z.reshaped([1, 1, g.zDim]), count: g.numLayers), axis: 1)
        return render(g, latent: mixed)
    }

    /// The sample of a per-layer z.
    static func render(_ g: any StyleGenerator, latent: Tensor) -> StudioSample {
        GradMode.withoutGradients {
            let wp = g.latent(fromZ: Variable(latent), strategy: .notruncMixWP)
            let r = g.synthesis(wp, features: true)
            return StudioSample(latent: latent, image: r.image.value, features: r.features.map(\.value))
        }
    }
}
