import Foundation
import LGJobs
import LGJobKinds
import LGModelIO
import LGTensor

/// Parameters of a `train_segmenter` job (names as in jobs/train_segmenters.json).
public struct SegmenterJobOptions: Sendable, Equatable {
    /// The job's parameters as its table checks them: a parameter added to
    /// the table later is read from here where it acts (`KindTable`).
    public var parameters: KindParameters
    public var settings: SegmenterSettings
    /// Held-out renders for the final evaluation.
    public var evalSamples = 1000

    public init(settings: SegmenterSettings) {
        parameters = JobKind.trainSegmenter.table.parameters(unchecked: ["domain": settings.domain])
        self.settings = settings
    }

    /// From the job's text parameters, checked against the `train_segmenter` table.
    public init(parameters: [String: String]) throws { try self.init(JobKind.trainSegmenter.table.validate(parameters)) }

    public init(_ p: KindParameters) throws {
        let domain = try p.text("domain")
        var s = SegmenterSettings(domain: domain)
        s.resolution = try p.int("resolution"); s.featureScale = try p.int("feature_scale")
        s.steps = try p.int("steps"); s.batch = try p.int("batch")
        s.learningRate = Float(try p.number("lr"))
        s.seed = try p.seed("seed")
        s.classWeighting = try p.optionalChoice("class_weighting", as: ClassWeighting.self)
        s.lovaszWeight = try p.optionalNumber("lovasz_weight").map(Float.init)
        // "{domain}" lets one grid value serve every domain.
        s.initialWeights = try p.optionalText("init")?.replacingOccurrences(of: "{domain}", with: domain)
        self.init(settings: s)
        evalSamples = try p.int("eval_samples")
        parameters = p
    }

    /// `toyface_unet32_fs4_15000`: the output's name (the parameters a grid
    /// varies; lr, batch, weighting, Lovász weight, seed and the initial
    /// weights' file name only when not the defaults, then
    /// `KindParameters.outputSuffix`):
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
        return n + parameters.outputSuffix
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
