import Foundation
import LGTensor
import LGModels
import LGSemantics

extension Jobs {
    /// `train_fewshot` (experiments.md "Job: train_fewshot"): an LSE
    /// (lw_type none) trained on `numSample` samples labelled once.
    ///
    /// z for the samples is drawn once (trunc-wp) from the "latents" stream
    /// of the repeat's seed; each sample is synthesised alone (as the
    /// reference's `get_features`) and labelled by the predictor. Step i of
    /// an epoch trains on sample i mod N (the reference's `batch_idx %
    /// len(label)`), the optimiser steps every N steps and at the epoch's
    /// last step, loss CE divided by N, Adam at lr on all parameters,
    /// MultiStepLR. With randomised noise (StyleGAN2 `randomize_noise=True`,
    /// the default) every forward draws new noise from the "noise" stream and
    /// at every epoch end the features are regenerated from the same wp; the
    /// labels stay. Then evaluation on fresh trunc-wp samples ("eval" stream).
    ///
    /// `models.generator` must have been built with randomised noise for
    /// that to happen (`Jobs.trainFewshot(_:registry:...)` does so).
    /// With `outputs`, writes `expr/fewshot/{G}_LSE_fewshot/r{repeat}_n{N}.safetensors`
    /// and `results/fewshot/{G}_n{N}_r{repeat}_elstrunc-wp.json` (+ `.txt`).
    public static func trainFewshot(_ options: FewShotOptions, models: JobModels, context: JobRunContext = JobRunContext(),
                                    outputs: JobOutputs? = nil) throws -> JobReport {
        let g = models.generator
        let n = options.numSample
        let record = options.record
        if NoiseRandomness.isRandomized(g) { NoiseRandomness.set(RandomStreams.make(options.seed, "noise"), on: g) }
        var latents = RandomStreams.make(options.seed, "latents")
        let z = latents.normalTensor(g.zShape(batch: n, strategy: .truncWP))
        let wp = GradMode.withoutGradients { g.latent(fromZ: Variable(z), strategy: .truncWP).value }
        let perSample = (0..<n).map { wp.slice(axis: 0, $0..<($0 + 1)) }
        func generateFeatures() -> [[Tensor]] { perSample.map { models.synthesize($0).features } }

        let initialNoise = NoiseRandomness.get(g).map(RandomState.init)
        var features: [[Tensor]] = []
        var labels: [Labels] = []
        for w in perSample {
            let (image, f) = models.synthesize(w)
            features.append(f)
            labels.append(models.labels(image))
        }

        let learner = try FewShotLearner(nClass: models.predictor.nClasses, dims: g.featureChannels,
                                         learningRate: Float(options.lr), seed: options.seed)
        let se = learner.extractor, opt = learner.optimizer
        let session = JobSession(context: context, state: JobState(kind: .trainFewshot, name: options.outputName, record: record),
                                 generator: g)
        session.extractor = se
        session.optimizer = opt
        session.rngs = ["eval": RandomStreams.make(options.seed, "eval")]
        session.state.featureNoise = initialNoise

        if let (saved, tensors) = try JobSession.savedState(context, kind: .trainFewshot, record: record) {
            if saved.phase == .done, let r = saved.result { return r }
            session.state = saved
            try saved.restore(extractor: se, optimizer: opt, tensors: tensors)
            // The features of the saved epoch: regenerated from the noise they were drawn with.
            if let fn = saved.featureNoise, fn != initialNoise {
                NoiseRandomness.set(try fn.restored(), on: g)
                features = generateFeatures()
            }
            try session.restoreRandomStreams()
            context.log("resuming \(options.outputName) at \(saved.phase.rawValue) step \(saved.phase == .training ? saved.step : saved.evalStep)")
        }

        let s = options.stepsPerEpoch
        let total = options.epochs * s
        let accumulation = AccumulationSchedule.constant(n)
        if session.state.phase == .training {
            while session.state.step < total {
                let step = session.state.step
                try session.checkCancelled(step: step)
                let epoch = step / s, i = step % s
                options.lrSchedule.apply(to: opt, epoch: epoch)
                let idx = i % n
                let (loss, output) = try learner.accumulate(features: features[idx], labels: labels[idx], accumulation: n)
                session.recordTraining(output: output, labels: labels[idx], loss: loss)
                if accumulation.updatesAfter(step: i, stepsPerEpoch: s, epoch: epoch) { learner.update() }
                session.state.step = step + 1
                session.reportTraining(step: step + 1, total: total, epoch: epoch, loss: loss)
                if i == s - 1 {
                    session.endEpoch(epoch)
                    if NoiseRandomness.isRandomized(g) {
                        session.state.featureNoise = NoiseRandomness.get(g).map(RandomState.init)
                        features = generateFeatures()
                    }
                }
                try session.stepDone()
            }
            if let outputs {
                let dir = outputs.exprDirectory.appendingPathComponent("fewshot")
                    .appendingPathComponent("\(options.models.generator)_LSE_fewshot")
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                let url = dir.appendingPathComponent(options.checkpointName + ".safetensors")
                try SemanticCheckpoint.save(se, to: url, metadata: record)
                session.state.extractorPath = url.path
            }
            try session.enter(.evaluating)
        }

        var eval: MIoUResult? = nil
        if options.evalSamples > 0 {
            eval = try session.evaluate(se, models: models, strategy: .truncWP, samples: options.evalSamples, seed: options.seed)
        }
        // To the queue only: the extractors of every repeat share one folder.
        session.writeLabelSheet(se, models: models, seed: options.seed, strategy: .truncWP, folder: nil)
        return try session.finish(kind: .trainFewshot, name: options.outputName, eval: eval, classNames: models.classNames,
                                  outputs: outputs, resultFolder: "fewshot")
    }
}
