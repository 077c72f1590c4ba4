import Foundation
import LGTensor
import LGModels
import LGSemantics

/// One `train` job's state between steps: its extractor, optimiser, session
/// (checkpointable state and random streams) and where it is. `Jobs.train`
/// drives one; `Jobs.trainCell` drives several in lockstep on one sample
/// stream. Either way a step is `step(image:features:labels:)` on the sample
/// the job's "latents" stream gives at `step`, so both give the same bits.
final class TrainRun {
    let options: TrainOptions
    let models: JobModels
    let context: JobRunContext
    let outputs: JobOutputs?
    let extractor: any SemanticExtractor
    let optimizer: Adam
    let session: JobSession
    /// The step this run resumed at (0 when it started fresh).
    let resumedAt: Int

    init(_ options: TrainOptions, models: JobModels, context: JobRunContext, outputs: JobOutputs?) throws {
        self.options = options; self.models = models; self.context = context; self.outputs = outputs
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
            se = try Jobs.reloadedExtractor(path, arch: arch)
        } else {
            var initRNG = RandomStreams.make(options.seed, "init")
            se = try makeSemanticExtractor(arch, rng: &initRNG)
        }
        extractor = se
        optimizer = makeOptimizer(for: se, learningRate: Float(options.lr), layerWeightLRScale: options.layerWeightLRScale)
        session = JobSession(context: context, state: JobState(kind: .train, name: options.outputName, record: options.record),
                             generator: g)
        session.extractor = se
        session.optimizer = optimizer
        session.rngs = ["latents": RandomStreams.make(options.seed, "latents"),
                        "eval": RandomStreams.make(options.seed, "eval")]
        if NoiseRandomness.isRandomized(g) { NoiseRandomness.set(RandomStreams.make(options.seed, "noise"), on: g) }
        if let (saved, tensors) = try JobSession.savedState(context, kind: .train, record: options.record) {
            session.state = saved
            if saved.phase != .done {
                try saved.restore(extractor: se, optimizer: optimizer, tensors: tensors)
                try session.restoreRandomStreams()
                context.log("resuming \(options.outputName) at \(saved.phase.rawValue) step \(saved.phase == .training ? saved.step : saved.evalStep)")
            }
        }
        resumedAt = session.state.step
    }

    /// The result of a job whose checkpoint says it is done.
    var finishedResult: JobReport? { session.state.phase == .done ? session.state.result : nil }
    var total: Int { options.epochs * options.stepsPerEpoch }
    var step: Int { session.state.step }
    /// Training steps remain.
    var training: Bool { session.state.phase == .training && step < total }

    /// The sample of this job's "latents" stream at `step` (advances the stream).
    func sample() -> (image: Tensor, features: [Tensor]) {
        models.sample(strategy: options.latentStrategy, rng: &session.rngs["latents"]!)
    }

    /// The predictor's labels of the sample at `step` (the label cache is
    /// shared by every job of this generator, predictor and seed).
    func labels(_ image: Tensor) -> Labels {
        models.labels(image, cache: context.labelCache, stream: "latents", seed: options.seed,
                      strategy: options.latentStrategy, index: step)
    }

    /// One training step on the sample at `step`: schedule, loss, backward,
    /// the optimiser when the accumulation says so, progress, epoch end,
    /// checkpoint policy.
    func step(image: Tensor, features: [Tensor], labels: Labels) throws {
        let s = options.stepsPerEpoch
        let step = session.state.step
        let epoch = step / s, i = step % s
        options.lrSchedule.apply(to: optimizer, epoch: epoch)
        let k = options.accumulation.steps(atEpoch: epoch)
        let loss = try session.trainStep(features: features, labels: labels, kind: options.lossKind, accumulation: k)
        if options.accumulation.updatesAfter(step: i, stepsPerEpoch: s, epoch: epoch) {
            optimizer.step()
            optimizer.zeroGrad()
        }
        session.state.step = step + 1
        session.reportTraining(step: step + 1, total: total, epoch: epoch, loss: loss)
        if i == s - 1 { session.endEpoch(epoch) }
        try session.stepDone()
    }

    /// After the last step: writes the extractor (with outputs) and
    /// checkpoints the move to evaluation.
    func endTraining() throws {
        if let outputs {
            let dir = outputs.exprDirectory.appendingPathComponent("semantics").appendingPathComponent(options.outputName)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let url = dir.appendingPathComponent("\(options.models.generator)_\(options.extractor.rawValue).safetensors")
            try SemanticCheckpoint.save(extractor, to: url, metadata: options.record)
            session.state.extractorPath = url.path
        }
        try session.enter(.evaluating)
    }

    /// Evaluation samples remain.
    var evaluating: Bool {
        session.state.phase == .evaluating && options.evalSamples > 0 && session.state.evalStep < options.evalSamples
    }

    /// The sample of this job's "eval" stream at its evaluation step (advances the stream).
    func evaluationSample() -> (image: Tensor, features: [Tensor]) {
        models.sample(strategy: options.evaluationStrategy, rng: &session.rngs["eval"]!)
    }

    /// The predictor's labels of the evaluation sample at the evaluation step.
    func evaluationLabels(_ image: Tensor) -> Labels {
        models.labels(image, cache: context.labelCache, stream: "eval", seed: options.seed,
                      strategy: options.evaluationStrategy, index: session.state.evalStep)
    }

    /// One evaluation step on the sample at the evaluation step.
    func evaluate(features: [Tensor], labels: Labels) throws {
        guard extractor.arch.nClass == models.predictor.nClasses else {
            throw SemanticsError.featureMismatch("the extractor has \(extractor.arch.nClass) classes, the predictor \(models.predictor.nClasses)")
        }
        try session.evaluateSample(extractor, features: features, labels: labels, models: models, samples: options.evalSamples)
    }

    /// Evaluation (resuming where the checkpoint says), the label sheet and the result.
    func evaluateAndFinish() throws -> JobReport {
        let strategy = options.evaluationStrategy
        var eval: MIoUResult? = nil
        if options.evalSamples > 0 {
            eval = try session.evaluate(extractor, models: models, strategy: strategy, samples: options.evalSamples, seed: options.seed)
        }
        let name = options.evalSamples > 0 ? options.outputName + "_els\(strategy.rawValue)" : options.outputName
        session.writeLabelSheet(extractor, models: models, seed: options.seed, strategy: strategy,
                                folder: session.state.extractorPath.map { URL(fileURLWithPath: $0).deletingLastPathComponent() })
        return try session.finish(kind: .train, name: name, eval: eval, classNames: models.classNames,
                                  outputs: outputs, resultFolder: "semantics")
    }
}

extension TrainRun {
    /// Puts the generator's noise stream (where the generator randomises
    /// noise) where this job's state says it is: the state of its last
    /// checkpoint, or the fresh stream. The generator is shared by a cell's
    /// jobs, so the cell sets it from the job that draws next.
    func restoreNoise() {
        let g = models.generator
        guard NoiseRandomness.isRandomized(g) else { return }
        let saved = session.state.rngs["noise"].flatMap { try? $0.restored() }
        NoiseRandomness.set(saved ?? RandomStreams.make(options.seed, "noise"), on: g)
    }
}
