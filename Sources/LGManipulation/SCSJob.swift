// The `scs` job as a library call: targets, sampling for each target and
// repeat, artifacts (latents, sheets, metrics.json) and metric rows.
import Foundation
import LGTensor
import LGModelIO
import LGModels
import LGSemantics

/// Where the SCS targets come from.
public enum SCSTargets: Sendable {
    /// Predictor labels of images generated from `count` latents drawn
    /// with `seed` (the reference's scene targets use truncated wp).
    case generated(count: Int, seed: UInt64, strategy: LatentStrategy = .truncWP)
    /// User label-map PNGs (palette / gray = class index), all of the label resolution.
    case files([URL])
}

/// The scorer of an SCS run.
public enum SCSMethod {
    /// A semantic extractor on the generator's features; `name` labels the outputs.
    case extractor(any SemanticExtractor, name: String)
    /// The baseline: the predictor on the generated image.
    case baseline

    public var name: String {
        switch self {
        case .extractor(_, let n): return n
        case .baseline: return "baseline"
        }
    }

    /// `nil` or "baseline" -> the baseline; otherwise a semantic-extractor
    /// checkpoint (project safetensors or reference .pth), named after its file.
    public static func load(extractor path: String?) throws -> SCSMethod {
        guard let path, path != "baseline" else { return .baseline }
        let url = URL(fileURLWithPath: path)
        let se = try SemanticCheckpoint.loadAny(url)
        return .extractor(se, name: url.deletingPathExtension().lastPathComponent)
    }
}

/// Parameters of an SCS run.
public struct SCSJobParameters: Sendable {
    public var options: SCSOptions
    /// Samples per target (reference: 10).
    public var repeats: Int
    /// Seed of the samples' initial draws.
    public var seed: UInt64
    public var targets: SCSTargets
    /// Label resolution S of the targets; default: the generator's resolution.
    public var labelResolution: Int?

    public init(options: SCSOptions = SCSOptions(), repeats: Int = 1, seed: UInt64 = 0,
                targets: SCSTargets, labelResolution: Int? = nil) {
        self.options = options; self.repeats = repeats; self.seed = seed
        self.targets = targets; self.labelResolution = labelResolution
    }
}

/// One metric row: a sample.
public struct SCSMetricRow: Codable, Sendable, Equatable {
    public var method: String
    public var target: Int
    public var repeatIndex: Int
    /// mIoU between the target and the predictor's labels of the sample.
    public var mIoU: Float
    public var pixelAccuracy: Float
    /// Scorer-label agreement with the target, best initial draw and final.
    public var initialAgreement: Float
    public var finalAgreement: Float
    public var initialLoss: Float
    public var finalLoss: Float
}

/// The aggregate of a run (IoUAccumulator over all samples).
public struct SCSSummary: Codable, Sendable, Equatable {
    public var method: String
    public var samples: Int
    /// Final samples vs targets, through the predictor.
    public var mIoU: Float
    public var pixelAccuracy: Float
    public var classIoU: [Float]
    /// The same for the best-of-n_init draws (before optimisation) and for
    /// plain random draws.
    public var initialMIoU: Float
    public var randomMIoU: Float
    public var meanInitialAgreement: Float
    public var meanFinalAgreement: Float
    public var meanInitialLoss: Float
    public var meanFinalLoss: Float
}

public struct SCSJobResult: Codable, Sendable {
    public var summary: SCSSummary
    public var rows: [SCSMetricRow]
    /// Written files, relative to the output folder.
    public var artifacts: [String]
}

public enum SCSJob {
    /// Runs SCS for every target and repeat and writes to `outputDirectory`:
    /// `targets.npy` (int64 (N, S, S)), `targets.png`, `target_z.npy` (for
    /// generated targets), `z_t{t}_r{r}.npy` and `wp_t{t}_r{r}.npy` per sample,
    /// `sheet_t{t}.png` (top: target | samples; bottom: target | the
    /// predictor's labels of the samples) and `metrics.json` (summary + rows).
    public static func run(generator g: any StyleGenerator, predictor: any SegmentationPredictor,
                           method: SCSMethod, parameters: SCSJobParameters, outputDirectory out: URL,
                           progress: ((SCSProgress) -> Void)? = nil) throws -> SCSJobResult {
        guard parameters.repeats >= 1 else {
            throw ManipulationError.invalidOption("repeat must be at least 1, got \(parameters.repeats)")
        }
        try parameters.options.validate()
        let size = parameters.labelResolution ?? g.resolution
        guard size > 0 else { throw ManipulationError.invalidOption("label resolution must be positive, got \(size)") }
        let scorer: SemanticScorer
        switch method {
        case .extractor(let se, _): scorer = .extractor(se)
        case .baseline:
            guard let p = predictor as? DifferentiableSegmenter else {
                throw ManipulationError.missingModel("the SCS baseline needs a predictor whose logits are differentiable (the face UNet)")
            }
            scorer = .predictor(p)
        }
        guard scorer.nClasses == predictor.nClasses else {
            throw ManipulationError.invalidOption("the \(scorer.kind) has \(scorer.nClasses) classes, the predictor \(predictor.nClasses)")
        }
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        var artifacts: [String] = []
        func url(_ name: String) -> URL { artifacts.append(name); return out.appendingPathComponent(name) }

        // Targets.
        let targets: Labels
        switch parameters.targets {
        case let .generated(count, seed, strategy):
            guard count >= 1 else { throw ManipulationError.invalidOption("the number of targets must be at least 1, got \(count)") }
            var rng = SeededRandom(seed: seed)
            let z = rng.normalTensor(g.zShape(batch: count, strategy: strategy))
            var maps: [Labels] = []
            for i in 0..<count {
                let zi = z.slice(axis: 0, i..<(i + 1))
                let image = GradMode.withoutGradients { g.synthesis(g.latent(fromZ: Variable(zi), strategy: strategy), features: false).image.value }
                maps.append(predictor.labels(image: image, labelResolution: size))
            }
            targets = Labels(shape: [count, size, size], data: maps.flatMap(\.data))
            try NPY.write(z, to: url("target_z.npy"))
        case .files(let urls):
            guard !urls.isEmpty else { throw ManipulationError.invalidOption("no target label maps given") }
            let maps = try urls.map { try ManipulationFiles.readLabelMap($0, nClasses: predictor.nClasses, expectedSize: size) }
            targets = Labels(shape: [maps.count, size, size], data: maps.flatMap(\.data))
        }
        try NPY.writeInt64(targets.data.map { Int($0) }, shape: targets.shape, to: url("targets.npy"))
        try writeSheet(ManipulationFiles.labelImages(targets, nClasses: predictor.nClasses), columns: min(targets.shape[0], 10),
                       to: url("targets.png"))

        // Sampling.
        let sampler = SemanticConditionalSampler(generator: g, scorer: scorer, options: parameters.options)
        let nT = targets.shape[0], total = nT * parameters.repeats
        var rng = SeededRandom(seed: parameters.seed)
        var samples: [[SCSSample]] = []
        let p = size * size
        for t in 0..<nT {
            let tar = Labels(shape: [1, size, size], data: Array(targets.data[(t * p)..<((t + 1) * p)]))
            var row: [SCSSample] = []
            for r in 0..<parameters.repeats {
                let done = t * parameters.repeats + r
                let s = try sampler.sample(target: tar, rng: &rng, targetIndex: t, repeatIndex: r) { pr in
                    var q = pr
                    q.samplesDone = done; q.samplesTotal = total
                    progress?(q)
                }
                try NPY.write(s.z, to: url(String(format: "z_t%03d_r%02d.npy", t, r)))
                try NPY.write(s.wp, to: url(String(format: "wp_t%03d_r%02d.npy", t, r)))
                row.append(s)
                progress?(SCSProgress(target: t, repeatIndex: r, iteration: parameters.options.nIter,
                                      nIter: parameters.options.nIter, loss: s.finalLoss,
                                      samplesDone: done + 1, samplesTotal: total))
            }
            samples.append(row)
        }

        // Evaluation and sheets.
        let ev = SCSEvaluation.evaluate(samples: samples, targets: targets, predictor: predictor)
        var rows: [SCSMetricRow] = []
        for t in 0..<nT {
            let tarImage = ManipulationFiles.labelImages(
                Labels(shape: [1, size, size], data: Array(targets.data[(t * p)..<((t + 1) * p)])), nClasses: predictor.nClasses)
            var top = [tarImage], bottom = [tarImage]
            for (r, s) in samples[t].enumerated() {
                let m = ev.perSample[t][r]
                rows.append(SCSMetricRow(method: method.name, target: t, repeatIndex: r, mIoU: m.mIoU,
                                         pixelAccuracy: m.pixelAccuracy, initialAgreement: s.initialAgreement,
                                         finalAgreement: s.finalAgreement, initialLoss: s.initialLoss, finalLoss: s.finalLoss))
                top.append(resizedImage(s.image, size))
                bottom.append(ManipulationFiles.labelImages(ev.predictorLabels[t][r], nClasses: predictor.nClasses))
            }
            try writeSheet(Tensor.concat(top + bottom, axis: 0), columns: top.count,
                           to: url(String(format: "sheet_t%03d.png", t)))
        }
        func mean(_ xs: [Float]) -> Float { xs.isEmpty ? .nan : xs.reduce(0, +) / Float(xs.count) }
        let fr = ev.final.result
        let summary = SCSSummary(method: method.name, samples: fr.samples, mIoU: fr.mIoU, pixelAccuracy: fr.pixelAccuracy,
                                 classIoU: fr.classIoU, initialMIoU: ev.initial.result.mIoU, randomMIoU: ev.random.result.mIoU,
                                 meanInitialAgreement: mean(rows.map(\.initialAgreement)),
                                 meanFinalAgreement: mean(rows.map(\.finalAgreement)),
                                 meanInitialLoss: mean(rows.map(\.initialLoss)), meanFinalLoss: mean(rows.map(\.finalLoss)))
        let metricsURL = url("metrics.json")
        var result = SCSJobResult(summary: summary, rows: rows, artifacts: artifacts)
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try enc.encode(result).write(to: metricsURL, options: .atomic)
        result.artifacts = artifacts
        return result
    }

    static func writeSheet(_ images: Tensor, columns: Int, to url: URL) throws {
        let png = try ImageSheet.grid(images: images, columns: columns, padding: 2, paddingValue: 255)
        try Data(png).write(to: url, options: .atomic)
    }
}
