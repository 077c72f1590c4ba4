import ArgumentParser
import LGLogging
import Foundation
import LGDomains
import LGJobs
import LGModelIO
import LGSemantics
import LGTensor
import LGZoo

/// `worker render-eval`: a zoo generator's extractors against the renderer's exact labels.
struct RenderEval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render-eval",
        abstract: "Score a zoo generator's extractors against the exact labels of rendered images (through GAN inversion).",
        discussion: """
        Renders --count held-out images of the generator's domain, fits the \
        generator's latent to each (best of --candidates random latents, then \
        --steps Adam steps on the pixel MSE, in wp (or w: --space) for the StyleGAN \
        family and z for PGGAN), and labels the fitted features with every extractor. \
        Prints, against the renders' exact labels: the predictor on the renders \
        (the ceiling: the extractors learnt from its labels), the predictor on \
        the reconstructions (what the inversion loses), and each extractor; \
        and each extractor against the predictor on the reconstructions. \
        Without --extractor it takes the checkpoints of the generator's \
        reference-schedule train runs (the Table 1 ones: folders \
        expr/semantics/GENERATOR_{SE}_l{loss}_ls{latent}_lw{weighting}_lr{lr} \
        with no suffix), or with --all-runs every checkpoint under \
        expr/semantics/GENERATOR_*/. Writes render-eval.json, render-eval.md and \
        sheet.png (rows: renders, reconstructions, exact labels, predictor on \
        the renders, one row per extractor) into --out.

        Example:
          worker render-eval --generator stylegan2_toyface32 --count 64
        """
    )

    @Option(help: "A registered zoo generator (see `worker models`).") var generator: String
    @Option(help: "Extractor checkpoints; repeatable (default: those of the generator's reference-schedule train runs, expr/semantics/GENERATOR_{SE}_l{loss}_ls{latent}_lw{weighting}_lr{lr}/).")
    var extractor: [String] = []
    @Flag(help: "Without --extractor: every checkpoint under expr/semantics/GENERATOR_*/, quick runs (_e...), probes and few-shot ones included.")
    var allRuns = false
    @Option(help: "Held-out renders to invert.") var count: Int = 64
    @Option(help: "StyleGAN family: fit wp (one w per layer) or one w per render (made into wp as trunc-wp does; fits worse). PGGAN: z.")
    var space: InversionSpace = .wp
    @Option(help: "Adam steps per render.") var steps: Int = 300
    @Option(help: "Adam learning rate of the latent.") var lr: Float = 0.05
    @Option(help: "Random latents to pick each render's start from.") var candidates: Int = 256
    @Option(help: "Renders inverted together.") var batch: Int = 32
    @Option(help: "Seed of the candidates (and of the noise of generators that randomise it).") var seed: UInt64 = 0
    @Option(help: "Samples shown in sheet.png.") var sheetCount: Int = 8
    @Option(help: "Experiment folder whose semantics/ holds the extractor checkpoints (without --extractor).") var expr: String = "expr"
    @Option(help: "Output folder (default: EXPR/render-eval/GENERATOR).") var out: String?
    @OptionGroup var catalog: RegistryOptions
    @Option(help: "A registered predictor for the predictor rows instead of the generator's (see `worker models`).") var predictor: String?
    @OptionGroup var sheetScale: SheetScaleOption

    func validate() throws {
        guard count > 0 else { throw ValidationError("--count must be positive") }
        guard sheetCount >= 0 else { throw ValidationError("--sheet-count must be >= 0") }
        do { try settings.validate() } catch { throw ValidationError(error.description) }
    }

    var settings: InversionSettings {
        InversionSettings(space: space, steps: steps, learningRate: lr, candidates: candidates, batch: batch, seed: seed)
    }

    func run() throws {
        let registry = try catalog.registry()
        // The predictor first: a wrong choice fails before any checkpoint is read.
        let (domain, predictorName, p) = try GeneratorLoading.zooPredictor(generator: generator, predictor: predictor,
                                                                            registry: registry)
        let paths = try extractor.isEmpty ? discoverExtractors() : extractor
        var extractors: [(name: String, extractor: any SemanticExtractor)] = []
        for path in paths {
            let url = URL(fileURLWithPath: path)
            // Runs written before quick ones got their own folder are told by
            // the schedule their metadata records (read from the header alone).
            if self.extractor.isEmpty && !allRuns,
               TrainOptions.recordsOtherSchedule(try SemanticCheckpoint.readMetadata(url)) { continue }
            let (extractor, metadata) = try SemanticCheckpoint.loadAnyWithMetadata(url)
            extractors.append((name: extractorName(path, metadata: metadata), extractor: extractor))
        }
        guard !extractors.isEmpty else {
            throw CommandFailure("the checkpoints found are all of other schedules than \(TrainOptions.referenceEpochs) x \(TrainOptions.referenceStepsPerEpoch); add --all-runs to take them")
        }
        let g = try registry.loadGenerator(generator)
        var last = -1
        let (result, pictures) = try RenderEvaluation.run(
            generatorName: generator, generator: g, predictor: p, domain: domain, extractors: extractors,
            samples: count, settings: settings) { done, total in
                let pct = 100 * done / max(total, 1)
                if pct / 5 != last { last = pct / 5; FileHandle.standardError.write(Data("\rinversion: step \(done)/\(total) (\(pct)%)".utf8)) }
            }
        FileHandle.standardError.write(Data("\n".utf8))
        let report = Self.report(result, predictor: predictorName)
        print(report, terminator: "")

        let dir = URL(fileURLWithPath: out ?? "\(expr)/render-eval/\(generator)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(result).write(to: dir.appendingPathComponent("render-eval.json"))
        try Data(report.utf8).write(to: dir.appendingPathComponent("render-eval.md"))
        let shown = min(sheetCount, count)
        if shown > 0 {
            let k = domain.classNames.count
            let predicted = p.labels(image: pictures.renders.slice(axis: 0, 0..<shown), labelResolution: g.resolution)
            var rows = [pictures.renders.slice(axis: 0, 0..<shown), pictures.reconstructions.slice(axis: 0, 0..<shown),
                        Label.colour(pictures.truth.slice(0..<shown), classes: k), Label.colour(predicted, classes: k)]
            rows += pictures.extracted.map { Label.colour($0.slice(0..<shown), classes: k) }
            let sheet = try ImageSheet.grid(images: sheetScale.enlarged(Tensor.concat(rows, axis: 0)), columns: shown)
            try Data(sheet).write(to: dir.appendingPathComponent("sheet.png"))
        }
        print("wrote render-eval.json, render-eval.md\(shown > 0 ? ", sheet.png" : "") to \(dir.path)")
    }

    /// The extractor checkpoints of this generator's reference-schedule train
    /// runs under expr/semantics (every one with --all-runs).
    func discoverExtractors() throws -> [String] {
        let root = URL(fileURLWithPath: expr).appendingPathComponent("semantics")
        let folders = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        let chosen = folders.filter {
            allRuns ? $0.hasPrefix(generator + "_") : TrainOptions.isReferenceRun(folder: $0, generator: generator)
        }
        let found = chosen.sorted().flatMap { folder -> [String] in
            let files = (try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(folder).path)) ?? []
            return files.filter { $0.hasSuffix(".safetensors") }.sorted().map { root.appendingPathComponent(folder).appendingPathComponent($0).path }
        }
        guard !found.isEmpty else {
            throw CommandFailure("no extractor checkpoints of \(allRuns ? "any" : "a reference-schedule") train run under \(root.path)/\(generator)_*/; train some first (e.g. `coordinator enqueue sr_all_method_zoo --preset full --set G=\(generator)`)\(allRuns ? "" : ", add --all-runs to take quick runs too,") or give --extractor PATH")
        }
        return found
    }

    /// The run folder's name without the generator prefix (else the file's
    /// name), with the training schedule its metadata records ("50x1024":
    /// epochs x steps), since a quick run writes into the same folder as a
    /// full one.
    func extractorName(_ path: String, metadata meta: [String: String]) -> String {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().lastPathComponent
        let name = folder.hasPrefix(generator + "_") ? String(folder.dropFirst(generator.count + 1))
                                                     : url.deletingPathExtension().lastPathComponent
        guard let epochs = meta["epochs"], let steps = meta["steps_per_epoch"] else { return name }
        return "\(name) (\(epochs)x\(steps))"
    }

    /// A Markdown report: the summary table, then IoU per class.
    static func report(_ r: RenderEvaluation, predictor: String) -> String {
        func pct(_ x: Float) -> String { x.isNaN ? "-" : String(format: "%.1f", 100 * x) }
        func cls(_ x: Float) -> String { x < -0.1 ? "-" : String(format: "%.1f", 100 * x) }
        let s = r.settings
        var out = "\(r.generator) on \(r.samples) held-out \(r.domain) renders, inverted in \(r.latentSpace) (best of \(s.candidates) random latents, "
        out += "then \(s.steps) Adam steps at lr \(s.learningRate), seed \(s.seed)): PSNR "
        out += String(format: "%.1f -> %.1f dB", r.startPSNR, r.psnr) + "; predictor \(predictor)\n\n"
        out += "| labels | mIoU vs exact labels | pixel acc. | mIoU vs predictor on reconstructions |\n|---|---|---|---|\n"
        out += "| predictor on the renders | \(pct(r.predictorOnRenders.mIoU)) | \(pct(r.predictorOnRenders.pixelAccuracy)) | |\n"
        out += "| predictor on the reconstructions | \(pct(r.predictorOnReconstructions.mIoU)) | \(pct(r.predictorOnReconstructions.pixelAccuracy)) | |\n"
        for e in r.extractors {
            out += "| \(e.name) | \(pct(e.vsTruth.mIoU)) | \(pct(e.vsTruth.pixelAccuracy)) | \(pct(e.vsPredictor.mIoU)) |\n"
        }
        out += "\nIoU per class against the exact labels (- where no sample has the class):\n\n"
        out += "| class | predictor on renders | predictor on reconstructions | " + r.extractors.map(\.name).joined(separator: " | ") + " |\n"
        out += "|---|---|---|" + String(repeating: "---|", count: r.extractors.count) + "\n"
        for (c, name) in r.classNames.enumerated().dropFirst() {
            var row = "| \(name) | \(cls(r.predictorOnRenders.classIoU[c - 1])) | \(cls(r.predictorOnReconstructions.classIoU[c - 1])) |"
            for e in r.extractors { row += " \(cls(e.vsTruth.classIoU[c - 1])) |" }
            out += row + "\n"
        }
        return out
    }
}

extension InversionSpace: ExpressibleByArgument {}
