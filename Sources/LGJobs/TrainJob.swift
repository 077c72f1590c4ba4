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
        let run = try TrainRun(options, models: models, context: context, outputs: outputs)
        if let r = run.finishedResult { return r }
        if run.session.state.phase == .training {
            while run.training {
                try run.session.checkCancelled(step: run.step)
                let (image, features) = run.sample()
                try run.step(image: image, features: features, labels: run.labels(image))
            }
            try run.endTraining()
        }
        return try run.evaluateAndFinish()
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
