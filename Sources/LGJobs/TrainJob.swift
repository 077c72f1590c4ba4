import Foundation
import LGTensor
import LGModels
import LGSemantics

extension Jobs {
    /// `train` (experiments.md "Job: train"): trains an LSE / NSE-1 / NSE-2
    /// on features of fresh samples labelled by the predictor, then
    /// evaluates it.
    ///
    /// Every step draws z from the job's "latents" stream (seeded by
    /// `options.seed`), synthesises the image and features without
    /// gradients and labels the image at the label resolution; batch 1.
    /// Epochs x steps per epoch, gradient accumulation per
    /// `options.accumulation` (loss divided by the epoch's count), Adam with
    /// theta at `layerWeightLRScale` x lr for LSE / NSE-1, MultiStepLR per
    /// epoch. Extractor initialisation uses the "init" stream (or, with
    /// `reload`, the saved extractor), evaluation the "eval" stream. Resumes
    /// exactly from the context's latest checkpoint.
    ///
    /// With `outputs`, writes `expr/semantics/{name}/{G}_{SE}.safetensors`
    /// and `results/semantics/{name}_els{latent}.json` (+ `.txt`).
    public static func train(_ options: TrainOptions, models: JobModels, context: JobRunContext = JobRunContext(),
                             outputs: JobOutputs? = nil) throws -> JobReport {
        let g = models.generator
        let layers = options.layers ?? Array(0..<g.featureChannels.count)
        if let bad = layers.first(where: { $0 >= g.featureChannels.count }) {
            throw JobError.badParameter(name: "layers", value: "\(bad)",
                                        expected: "indices below \(g.featureChannels.count), the generator's feature layers")
        }
        let arch = ExtractorArch(type: options.extractor, nClass: models.predictor.nClasses,
                                 dims: layers.map { g.featureChannels[$0] }, layers: layers,
                                 lwType: options.extractor == .nse2 ? nil : options.layerWeight)
        try arch.validate()
        let se: any SemanticExtractor
        if let path = try options.parameters.optionalText("reload") {
            se = try reloadedExtractor(path, arch: arch)
        } else {
            var initRNG = RandomStreams.make(options.seed, "init")
            se = try makeSemanticExtractor(arch, rng: &initRNG)
        }
        let opt = makeOptimizer(for: se, learningRate: Float(options.lr), layerWeightLRScale: options.layerWeightLRScale)
        let record = options.record
        let session = JobSession(context: context, state: JobState(kind: .train, name: options.outputName, record: record),
                                 generator: g)
        session.extractor = se
        session.optimizer = opt
        session.rngs = ["latents": RandomStreams.make(options.seed, "latents"),
                        "eval": RandomStreams.make(options.seed, "eval")]
        if NoiseRandomness.isRandomized(g) { NoiseRandomness.set(RandomStreams.make(options.seed, "noise"), on: g) }

        if let (saved, tensors) = try JobSession.savedState(context, kind: .train, record: record) {
            if saved.phase == .done, let r = saved.result { return r }
            session.state = saved
            try saved.restore(extractor: se, optimizer: opt, tensors: tensors)
            try session.restoreRandomStreams()
            context.log("resuming \(options.outputName) at \(saved.phase.rawValue) step \(saved.phase == .training ? saved.step : saved.evalStep)")
        }

        let s = options.stepsPerEpoch
        let total = options.epochs * s
        if session.state.phase == .training {
            while session.state.step < total {
                let step = session.state.step
                try session.checkCancelled(step: step)
                let epoch = step / s, i = step % s
                options.lrSchedule.apply(to: opt, epoch: epoch)
                let k = options.accumulation.steps(atEpoch: epoch)
                let (image, features) = models.sample(strategy: options.latentStrategy, rng: &session.rngs["latents"]!)
                // Shared with every job of this generator, predictor and seed (the label cache).
                let labels = models.labels(image, cache: context.labelCache, stream: "latents", seed: options.seed,
                                           strategy: options.latentStrategy, index: step)
                let loss = try session.trainStep(features: features, labels: labels, kind: options.lossKind, accumulation: k)
                if options.accumulation.updatesAfter(step: i, stepsPerEpoch: s, epoch: epoch) {
                    opt.step()
                    opt.zeroGrad()
                }
                session.state.step = step + 1
                session.reportTraining(step: step + 1, total: total, epoch: epoch, loss: loss)
                if i == s - 1 { session.endEpoch(epoch) }
                try session.stepDone()
            }
            if let outputs {
                let dir = outputs.exprDirectory.appendingPathComponent("semantics").appendingPathComponent(options.outputName)
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                let url = dir.appendingPathComponent("\(options.models.generator)_\(options.extractor.rawValue).safetensors")
                try SemanticCheckpoint.save(se, to: url, metadata: record)
                session.state.extractorPath = url.path
            }
            try session.enter(.evaluating)
        }

        let strategy = options.evaluationStrategy
        var eval: MIoUResult? = nil
        if options.evalSamples > 0 {
            eval = try session.evaluate(se, models: models, strategy: strategy, samples: options.evalSamples, seed: options.seed)
        }
        let name = options.evalSamples > 0 ? options.outputName + "_els\(strategy.rawValue)" : options.outputName
        session.writeLabelSheet(se, models: models, seed: options.seed, strategy: strategy,
                                folder: session.state.extractorPath.map { URL(fileURLWithPath: $0).deletingLastPathComponent() })
        return try session.finish(kind: .train, name: name, eval: eval, classNames: models.classNames,
                                  outputs: outputs, resultFolder: "semantics")
    }

    /// `reload=PATH` (the reference's `--reload`): the extractor saved at
    /// `path` (the project's .safetensors or the reference's .pth) to train
    /// on from; it must have the architecture this job would build.
    static func reloadedExtractor(_ path: String, arch: ExtractorArch) throws -> any SemanticExtractor {
        guard FileManager.default.fileExists(atPath: path) else {
            throw JobError.badParameter(name: "reload", value: path,
                                        expected: "an existing extractor file (a train job's .safetensors or the reference's .pth)")
        }
        let se = try SemanticCheckpoint.loadAny(URL(fileURLWithPath: path))
        let a = se.arch
        func describe(_ a: ExtractorArch) -> String {
            "\(a.type.rawValue), \(a.nClass) classes, layers \(a.layers), dims \(a.dims), layer weight \(a.lwType?.rawValue ?? "-")"
        }
        guard a.type == arch.type, a.nClass == arch.nClass, a.dims == arch.dims, a.layers == arch.layers, a.lwType == arch.lwType else {
            throw JobError.badParameter(name: "reload", value: path,
                                        expected: "an extractor of this job's architecture (\(describe(arch))); the file holds \(describe(a))")
        }
        return se
    }
}
