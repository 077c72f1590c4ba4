import Foundation
import LGTensor
import LGModels
import LGSemantics

extension Jobs {
    /// `evaluate` (experiments.md "Evaluation"): mIoU, per-class IoU and
    /// pixel accuracy of `extractor` on `options.samples` fresh samples
    /// (z from the "eval" stream of `options.seed`, `options.latentStrategy`),
    /// the predictor's labels as ground truth, both at the label resolution.
    /// Resumable like the training jobs. With `outputs`, writes
    /// `results/semantics/{name}.json` (+ `.txt`).
    public static func evaluate(_ options: EvaluateOptions, extractor se: any SemanticExtractor, models: JobModels,
                                context: JobRunContext = JobRunContext(), outputs: JobOutputs? = nil) throws -> JobReport {
        let g = models.generator
        let record = options.record
        let session = JobSession(context: context, state: JobState(kind: .evaluate, name: options.outputName, record: record),
                                 generator: g)
        session.rngs = ["eval": RandomStreams.make(options.seed, "eval")]
        if NoiseRandomness.isRandomized(g) { NoiseRandomness.set(RandomStreams.make(options.seed, "noise"), on: g) }
        session.state.phase = .evaluating
        session.state.extractorPath = options.extractorPath
        if let (saved, _) = try JobSession.savedState(context, kind: .evaluate, record: record) {
            if saved.phase == .done, let r = saved.result { return r }
            session.state = saved
            try session.restoreRandomStreams()
            context.log("resuming \(options.outputName) at sample \(saved.evalStep)")
        }
        let eval = try session.evaluate(se, models: models, strategy: options.latentStrategy, samples: options.samples, seed: options.seed)
        return try session.finish(kind: .evaluate, name: options.outputName, eval: eval, classNames: models.classNames,
                                  outputs: outputs, resultFolder: "semantics")
    }
}
