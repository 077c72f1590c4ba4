import Foundation
import LGDomains
import LGGANTraining
import LGJobs
import LGJobKinds
import LGModelIO
import LGModels
import LGTensor

/// Parameters of a `train_gan` job (names as in jobs/train_zoo.json).
public struct GANJobOptions: Sendable, Equatable {
    /// The job's parameters as its table checks them: a parameter added to
    /// the table later is read from here where it acts (`KindTable`).
    public var parameters: KindParameters
    public var family: GeneratorFamily
    public var domain: String
    public var resolution = 32
    public var fmapsMax = 64
    public var latentDim = 128
    public var mappingLayers = 4
    public var batch = 16
    /// Optimisation steps (one D and one G update each).
    public var steps = 20_000
    public var seed: UInt64 = 0
    /// Sample sheet every this many steps (0: only at the end).
    public var sampleEvery = 1000
    /// The convolution policy (`winograd=off|inference|always`); nil: the
    /// training default (`Winograd.Policy.trainingDefault`: `always` unless
    /// the worker's `LG_WINOGRAD` says otherwise), as for `train` jobs. GAN
    /// training has no reference run to reproduce: with `always`, 3x3 layers
    /// with enough channels and tiles train through Winograd F(2x2, 3x3),
    /// 1.1-1.45x faster steps at the zoo's size (docs/gan-training.md).
    /// A run resumes under the policy it is given.
    public var winograd: Winograd.Policy? = nil

    public init(family: GeneratorFamily, domain: String) {
        parameters = JobKind.trainGAN.table.parameters(unchecked: ["family": family.rawValue, "domain": domain])
        self.family = family; self.domain = domain
    }

    /// From the job's text parameters, checked against the `train_gan` table.
    public init(parameters: [String: String]) throws { try self.init(JobKind.trainGAN.table.validate(parameters)) }

    public init(_ p: KindParameters) throws {
        self.init(family: try p.choice("family", as: GeneratorFamily.self), domain: try p.text("domain"))
        resolution = try p.int("resolution"); fmapsMax = try p.int("fmaps_max"); latentDim = try p.int("latent_dim")
        mappingLayers = try p.int("mapping_layers"); batch = try p.int("batch"); steps = try p.int("steps")
        sampleEvery = try p.int("sample_every")
        seed = try p.seed("seed")
        winograd = try p.optionalChoice("winograd", as: Winograd.Policy.self)
        parameters = p
    }

    /// `stylegan2_toyface32`: the zoo's model name (+ `KindParameters.outputSuffix`).
    public var name: String { "\(family.rawValue)_\(domain)\(resolution)" + parameters.outputSuffix }

    public var trainingConfig: GANTrainingConfig {
        GANTrainingConfig.small(family: family, resolution: resolution, fmapsMax: fmapsMax, latentDim: latentDim,
                                mappingLayers: mappingLayers, batchSize: batch, seed: seed)
    }
}

/// What a finished `train_gan` job leaves in expr/zoo/NAME/.
public struct GANJobReport: Sendable {
    public var name: String
    public var directory: URL
    public var metrics: [String: Double]
}

/// The `train_gan` job: trains one generator of the embedded zoo on a
/// domain with `GANTrainer`, checkpointing through the job context (exact
/// resume), and exports G_ema with genforce keys plus its config.
public enum GANJob {
    public static func run(_ o: GANJobOptions, context: JobRunContext, expr: URL) throws -> GANJobReport {
        try Winograd.with(policy: o.winograd ?? .trainingDefault) { try train(o, context: context, expr: expr) }
    }

    static func train(_ o: GANJobOptions, context: JobRunContext, expr: URL) throws -> GANJobReport {
        let domain = try Domains.named(o.domain)
        let source = DomainImageSource(domain: domain, resolution: o.resolution)
        let dir = expr.appendingPathComponent("zoo/\(o.name)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("lg-gan-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let config = o.trainingConfig
        let trainer: GANTrainer
        if let data = try context.checkpointer?.latest() {
            try data.write(to: scratch)
            let stored = try GANTrainer.checkpointConfig(scratch)
            guard stored == config else {
                throw JobError.checkpointMismatch("it trains a different configuration than \(o.name) with these parameters")
            }
            trainer = try GANTrainer(resumingFrom: scratch, source: source)
            context.log("train_gan \(o.name): resumed at step \(trainer.completedSteps)")
        } else {
            trainer = try GANTrainer(config: config, source: source)
            context.log("train_gan \(o.name): \(o.steps) steps of batch \(o.batch) on \(o.domain) at \(o.resolution) px")
        }
        func checkpoint() throws {
            guard let c = context.checkpointer else { return }
            try trainer.saveCheckpoint(to: scratch)
            try c.save(Data(contentsOf: scratch))
        }
        let start = context.now()
        var lastCheckpoint = start
        let firstStep = trainer.completedSteps
        while trainer.completedSteps < o.steps {
            if context.isCancelled() {
                try checkpoint()
                throw JobError.cancelled(phase: "training", step: trainer.completedSteps)
            }
            let r = trainer.step()
            let now = context.now()
            context.progress(JobProgress(phase: .training, step: trainer.completedSteps, total: o.steps, epoch: nil,
                                         loss: r.dLoss, runningMIoU: nil, pixelAccuracy: nil, learningRate: nil,
                                         elapsedSeconds: now - start))
            if o.sampleEvery > 0, trainer.completedSteps % o.sampleEvery == 0 {
                try trainer.writeSampleSheet(to: dir.appendingPathComponent(String(format: "samples_%07d.png", trainer.completedSteps)))
            }
            if context.policy.isDue(completedSteps: trainer.completedSteps, secondsSinceLast: now - lastCheckpoint) {
                try checkpoint(); lastCheckpoint = now
            }
        }
        try checkpoint()
        let seconds = context.now() - start
        // The exported generator and its config, as the registry loads them.
        try Safetensors.write(trainer.exportGenerator().tensors,
                              metadata: ["format": "lineargan-zoo-generator", "family": o.family.rawValue,
                                         "domain": o.domain, "steps": String(trainer.completedSteps)],
                              to: dir.appendingPathComponent("generator.safetensors"))
        try trainer.exportedGeneratorConfig.configJSON().write(to: dir.appendingPathComponent("generator.json"))
        try trainer.writeSampleSheet(to: dir.appendingPathComponent("samples_final.png"))
        let metrics: [String: Double] = [
            "steps": Double(trainer.completedSteps),
            "images_seen": Double(trainer.imagesSeen),
            "d_loss": Double(trainer.lastDLoss),
            "g_loss": Double(trainer.lastGLoss),
            "train_seconds": seconds,
            "steps_per_second": seconds > 0 ? Double(trainer.completedSteps - firstStep) / seconds : 0,
        ]
        return GANJobReport(name: o.name, directory: dir, metrics: metrics)
    }
}
