import Foundation
import LGJobs
import LGModelIO
import LGTensor

/// Parameters of a `train_segmenter` job (names as in jobs/train_segmenters.json).
public struct SegmenterJobOptions: Sendable, Equatable {
    public var settings: SegmenterSettings
    /// Held-out renders for the final evaluation.
    public var evalSamples = 1000

    public static let known = ["domain", "resolution", "feature_scale", "steps", "batch", "lr", "seed",
                               "class_weighting", "lovasz_weight", "init", "eval_samples"]

    public init(settings: SegmenterSettings) { self.settings = settings }

    /// From the job's text parameters.
    public init(parameters p: [String: String]) throws {
        let unknown = JobParameters.unknownNames(p.keys, known: Self.known)
        guard unknown.isEmpty else { throw JobError.unknownParameters(kind: "train_segmenter", names: unknown, known: Self.known) }
        guard let domain = p["domain"] else { throw JobError.missingParameter(kind: "train_segmenter", name: "domain") }
        var s = SegmenterSettings(domain: domain)
        func int(_ k: String, _ v: inout Int, min: Int = 1) throws {
            guard let text = p[k] else { return }
            guard let x = Int(text), x >= min else { throw JobError.badParameter(name: k, value: text, expected: "an integer >= \(min)") }
            v = x
        }
        try int("resolution", &s.resolution, min: 16); try int("feature_scale", &s.featureScale)
        try int("steps", &s.steps, min: 0); try int("batch", &s.batch)
        if let text = p["lr"] {
            guard let x = Float(text), x > 0 else { throw JobError.badParameter(name: "lr", value: text, expected: "a number > 0") }
            s.learningRate = x
        }
        if let text = p["seed"] {
            guard let x = UInt64(text) else { throw JobError.badParameter(name: "seed", value: text, expected: "an integer >= 0") }
            s.seed = x
        }
        if let text = p["class_weighting"] {
            guard let w = ClassWeighting(rawValue: text) else {
                throw JobError.badParameter(name: "class_weighting", value: text,
                                            expected: ClassWeighting.allCases.map(\.rawValue).joined(separator: " or "))
            }
            s.classWeighting = w
        }
        if let text = p["lovasz_weight"] {
            guard let x = Float(text), x >= 0, x.isFinite else {
                throw JobError.badParameter(name: "lovasz_weight", value: text, expected: "a number >= 0")
            }
            s.lovaszWeight = x
        }
        if let text = p["init"] {
            guard !text.isEmpty else { throw JobError.badParameter(name: "init", value: text, expected: "a segmenter file") }
            // "{domain}" lets one grid value serve every domain.
            s.initialWeights = text.replacingOccurrences(of: "{domain}", with: domain)
        }
        self.init(settings: s)
        try int("eval_samples", &evalSamples)
    }

    /// `toyface_unet32_fs4_15000`: the output's name (the parameters a grid
    /// varies; lr, batch, weighting, Lovász weight, seed and the initial
    /// weights' file name only when not the defaults):
    /// `toychurch_unet32_fs2_5000_lr0.0005_lovasz1.0_from_toychurch_unet32_fs2_15000`.
    public var name: String {
        let d = SegmenterSettings(domain: settings.domain)
        var n = "\(settings.domain)_unet\(settings.resolution)_fs\(settings.featureScale)_\(settings.steps)"
        if settings.learningRate != d.learningRate { n += "_lr\(settings.learningRate)" }
        if settings.batch != d.batch { n += "_b\(settings.batch)" }
        if let w = settings.classWeighting, w != .none { n += "_\(w.rawValue)" }
        if let w = settings.lovaszWeight, w > 0 { n += "_lovasz\(w)" }
        if settings.seed != d.seed { n += "_seed\(settings.seed)" }
        if let i = settings.initialWeights {
            n += "_from_" + URL(fileURLWithPath: i).deletingPathExtension().lastPathComponent
        }
        return n
    }
}

/// What a finished `train_segmenter` job leaves: the segmenter file (the
/// format `worker train-segmenter` writes, so `worker zoo-register
/// --segmenter` takes it) and its held-out evaluation.
public struct SegmenterJobReport: Sendable {
    public var file: URL
    public var evaluation: SegmenterEvaluation
    public var metrics: [String: Double]
}

/// The `train_segmenter` job: `worker train-segmenter` as a queue job,
/// checkpointed through the job context so that an interrupted run resumes
/// exactly; writes expr/zoo/segmenters/NAME.safetensors and NAME.json.
public enum SegmenterJob {
    public static func run(_ o: SegmenterJobOptions, context: JobRunContext, expr: URL) throws -> SegmenterJobReport {
        let trainer: SegmenterTrainer
        if let data = try context.checkpointer?.latest() {
            let stored = try SegmenterTrainer.checkpointSettings(data)
            guard stored == o.settings else {
                throw JobError.checkpointMismatch("it trains a different segmenter than \(o.name) with these parameters")
            }
            trainer = try SegmenterTrainer(resuming: data)
            context.log("train_segmenter \(o.name): resumed at step \(trainer.step)")
        } else {
            // A relative initial file is the project's: next to expr/.
            trainer = try SegmenterTrainer(settings: o.settings, relativeTo: expr.deletingLastPathComponent())
            context.log("train_segmenter \(o.name): \(o.settings.steps) steps of batch \(o.settings.batch) on \(o.settings.domain)")
        }
        var runStart = context.now(), lastCheckpoint = runStart
        func checkpoint() throws {
            let now = context.now()
            trainer.trainSeconds += now - runStart
            runStart = now
            guard let c = context.checkpointer else { return }
            try c.save(trainer.checkpointData())
        }
        var runningLoss: Float = 0, lossCount = 0
        while trainer.step < o.settings.steps {
            if context.isCancelled() {
                try checkpoint()
                throw JobError.cancelled(phase: "training", step: trainer.step)
            }
            let loss = trainer.trainStep()
            // The progress line shows the mean loss over the last 50 steps.
            runningLoss += loss; lossCount += 1
            let now = context.now()
            context.progress(JobProgress(phase: .training, step: trainer.step, total: o.settings.steps,
                                         loss: runningLoss / Float(lossCount), learningRate: trainer.learningRate,
                                         elapsedSeconds: trainer.trainSeconds + now - runStart))
            if lossCount == 50 { runningLoss = 0; lossCount = 0 }
            if context.policy.isDue(completedSteps: trainer.step, secondsSinceLast: now - lastCheckpoint) {
                try checkpoint(); lastCheckpoint = now
            }
        }
        try checkpoint()
        context.progress(JobProgress(phase: .evaluating, step: 0, total: o.evalSamples, elapsedSeconds: 0))
        let evalStart = context.now()
        let e = trainer.evaluate(samples: o.evalSamples)
        let evalSeconds = context.now() - evalStart
        let dir = expr.appendingPathComponent("zoo/segmenters")
        let file = dir.appendingPathComponent(o.name + ".safetensors")
        try SegmenterFiles.save(trainer, evaluation: e, to: file)
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try enc.encode(e).write(to: dir.appendingPathComponent(o.name + ".json"))
        var metrics: [String: Double] = [
            "mIoU": Double(e.datasetMIoU), "per_image_mIoU": Double(e.perImageMIoU),
            "pixel_accuracy": Double(e.pixelAccuracy), "eval_samples": Double(e.samples),
            "steps": Double(trainer.step), "train_seconds": trainer.trainSeconds, "eval_seconds": evalSeconds,
        ]
        for (name, iou) in zip(e.classNames, e.datasetIoU) where iou >= 0 { metrics["iou/" + name] = Double(iou) }
        return SegmenterJobReport(file: file, evaluation: e, metrics: metrics)
    }
}
