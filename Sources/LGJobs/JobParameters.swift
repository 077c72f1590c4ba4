import Foundation
import LGTensor
import LGModels
import LGSemantics
import LGJobKinds

/// A job's parameters as text, by the names experiments.md uses
/// (`G`, `SE`, `lr`, `loss_type`, ...), as given with `--set NAME=VALUE` or
/// stored with a queued job. Their names, types, defaults and presets are
/// the kind's table (LGJobKinds); the options below decode through it.
public struct JobParameters: Sendable, Equatable, Codable {
    public var values: [String: String]

    public init(_ values: [String: String] = [:]) { self.values = values }

    /// Parses `NAME=VALUE` items.
    public init(assignments: [String]) throws {
        var v: [String: String] = [:]
        for a in assignments {
            guard let eq = a.firstIndex(of: "="), eq != a.startIndex else {
                throw JobError.badParameter(name: a, value: "", expected: "NAME=VALUE")
            }
            v[String(a[..<eq]).trimmingCharacters(in: .whitespaces)] = String(a[a.index(after: eq)...])
        }
        values = v
    }

    public subscript(_ name: String) -> String? {
        get { values[name] }
        set { values[name] = newValue }
    }

    /// The values checked against `kind`'s table (preset applied).
    public func validated(_ kind: JobKind) throws -> KindParameters { try kind.table.validate(values) }
}

extension KindParameters {
    /// `winograd=off|inference|always`, nil when not given.
    func winogradPolicy() throws -> Winograd.Policy? { try optionalChoice("winograd", as: Winograd.Policy.self) }

    func latent(_ name: String) throws -> LatentStrategy { try choice(name, as: LatentStrategy.self) }

    func schedule() throws -> LearningRateSchedule {
        LearningRateSchedule(milestones: try optionalInts("milestones") ?? [], gamma: Float(try number("gamma")))
    }

    /// `eval_samples`, or 0 with `eval=0`.
    func evaluationSamples() throws -> Int {
        let n = try int("eval_samples")
        return try flag("eval") ? n : 0
    }
}

/// Python's `str(float)` for the reference's output names (0.001, 0.0001, 1e-05).
func pythonFloat(_ x: Double) -> String { "\(x)" }

/// Parameters common to every job: models and evaluation.
public struct ModelChoice: Sendable, Equatable, Codable {
    /// Registered generator name.
    public var generator: String
    /// Generator weight file (default: the registry's search).
    public var generatorWeights: String?
    /// Registered predictor name (default: the generator's).
    public var predictor: String?
    public var predictorWeights: String?
    /// Label resolution (default: the generator's registered one).
    public var labelResolution: Int?

    public init(generator: String, generatorWeights: String? = nil, predictor: String? = nil,
                predictorWeights: String? = nil, labelResolution: Int? = nil) {
        self.generator = generator; self.generatorWeights = generatorWeights; self.predictor = predictor
        self.predictorWeights = predictorWeights; self.labelResolution = labelResolution
    }

    init(_ p: KindParameters, generator: String) throws {
        self.generator = generator
        generatorWeights = try p.optionalText("weights")
        predictor = try p.optionalText("predictor")
        predictorWeights = try p.optionalText("predictor_weights")
        labelResolution = try p.optionalInt("label_resolution")
    }
}

/// Parameters of a `train` job (experiments.md "Job: train").
public struct TrainOptions: Sendable, Equatable {
    /// The job's parameters as its table checks them: the fields below
    /// decode the reference's ones; a parameter added to the table later is
    /// read from here where it acts (`KindTable`), and recorded and named
    /// from here without a field of its own.
    public var parameters: KindParameters
    public var models: ModelChoice
    /// SE: LSE, NSE-1 or NSE-2.
    public var extractor: ExtractorType
    public var lr: Double = 0.001
    /// loss_type as given (normal, focal, normallayer).
    public var lossType: String = "normal"
    public var latentStrategy: LatentStrategy = .truncWP
    public var layerWeight: LayerWeightType = .softplus
    public var epochs = 50
    public var stepsPerEpoch = 1024
    /// Evaluation samples after training (0: no evaluation, as `--eval 0`).
    public var evalSamples = 10_000
    /// Latent strategy of the evaluation (default: the training one, as train.py).
    public var evalLatentStrategy: LatentStrategy?
    public var seed: UInt64 = 0
    /// Feature layers used (default: all).
    public var layers: [Int]?
    public var accumulation = AccumulationSchedule.reference
    public var lrSchedule = LearningRateSchedule.reference
    /// Learning-rate multiple of the layer weights theta (LSE, NSE-1).
    public var layerWeightLRScale: Float = 10
    /// `winograd`: the convolution policy of this job (nil:
    /// `Winograd.Policy.trainingDefault`, `always` unless the worker's
    /// `LG_WINOGRAD` says otherwise); `always` is the fast one (NSE-2 about
    /// 1.6x), `inference` the one that reproduces the reference's first Adam
    /// steps to 1e-4.
    public var winograd: Winograd.Policy?

    public init(generator: String, extractor: ExtractorType) {
        parameters = JobKind.train.table.parameters(unchecked: ["G": generator, "SE": extractor.rawValue])
        models = ModelChoice(generator: generator)
        self.extractor = extractor
    }

    public init(_ parameters: JobParameters) throws { try self.init(parameters.validated(.train)) }

    /// From parameters checked against the `train` table (defaults there).
    public init(_ p: KindParameters) throws {
        parameters = p
        models = try ModelChoice(p, generator: p.text("G"))
        extractor = try p.choice("SE", as: ExtractorType.self)
        lr = try p.number("lr")
        lossType = try p.text("loss_type")
        latentStrategy = try p.latent("latent_strategy")
        layerWeight = try p.choice("layer_weight", as: LayerWeightType.self)
        epochs = try p.int("epochs")
        stepsPerEpoch = try p.int("steps_per_epoch")
        evalSamples = try p.evaluationSamples()
        evalLatentStrategy = try p.optionalChoice("eval_latent_strategy", as: LatentStrategy.self)
        seed = try p.seed("seed")
        layers = try p.optionalInts("layers")
        if let a = try p.optionalText("accumulation") { accumulation = try AccumulationSchedule(parsing: a) }
        lrSchedule = try p.schedule()
        layerWeightLRScale = Float(try p.number("layer_weight_lr_scale"))
        winograd = try p.winogradPolicy()
    }

    public var lossKind: SegLossKind { SegLossKind(referenceName: lossType) }
    public var evaluationStrategy: LatentStrategy { evalLatentStrategy ?? latentStrategy }

    /// `{G}_{SE}_l{loss}_ls{latent}_lw{layer_weight}_lr{lr}` (train.py's
    /// DIR), plus a suffix per parameter outside that name which differs
    /// from the reference, so that such a run never overwrites the extractor
    /// of a reference one: `_e{epochs}x{steps_per_epoch}` (another schedule:
    /// the quick preset), `_lws{scale}` (layer-weight lr scale other than
    /// 10), `_L{layers}`, `_acc{epoch-steps,...}`, `_s{seed}`,
    /// `_P{predictor}`, `_res{label_resolution}`, in that order, then
    /// `_{tag}{value}` for the table's parameters with an `outputTag`
    /// (`KindParameters.outputSuffix`).
    public var outputName: String {
        let name = "\(models.generator)_\(extractor.rawValue)_l\(lossType)_ls\(latentStrategy.rawValue)_lw\(layerWeight.rawValue)_lr\(pythonFloat(lr))"
        var suffix = ""
        if !Self.isReferenceSchedule(epochs: epochs, stepsPerEpoch: stepsPerEpoch) { suffix += "_e\(epochs)x\(stepsPerEpoch)" }
        if layerWeightLRScale != 10 { suffix += "_lws\(pythonFloat(Double(layerWeightLRScale)))" }
        if let l = layers { suffix += "_L" + l.map(String.init).joined(separator: "-") }
        if accumulation != .reference {
            suffix += "_acc" + accumulation.entries.map { "\($0.epoch)-\($0.steps)" }.joined(separator: ",")
        }
        if seed != 0 { suffix += "_s\(seed)" }
        if let p = models.predictor { suffix += "_P\(p)" }
        if let r = models.labelResolution { suffix += "_res\(r)" }
        return name + suffix + parameters.outputSuffix
    }

    /// The paper's training schedule: 50 epochs of 1,024 steps.
    public static let referenceEpochs = 50, referenceStepsPerEpoch = 1024

    public static func isReferenceSchedule(epochs: Int, stepsPerEpoch: Int) -> Bool {
        epochs == referenceEpochs && stepsPerEpoch == referenceStepsPerEpoch
    }

    /// Whether a checkpoint's metadata (a `train` job's `record`) names
    /// another schedule than the reference; false when it records none (a
    /// checkpoint from elsewhere, taken as it is).
    public static func recordsOtherSchedule(_ metadata: [String: String]) -> Bool {
        guard let e = metadata["epochs"], let s = metadata["steps_per_epoch"] else { return false }
        return Int(e) != referenceEpochs || Int(s) != referenceStepsPerEpoch
    }

    /// Whether `folder` (a name under expr/semantics) is the output of a
    /// `train` run of `generator` that departs from the reference only in
    /// train.py's own parameters (extractor, loss, latent strategy, layer
    /// weighting, lr): an `outputName` without any suffix.
    public static func isReferenceRun(folder: String, generator: String) -> Bool {
        guard folder.hasPrefix(generator + "_") else { return false }
        let parts = folder.dropFirst(generator.count + 1).split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 5, ExtractorType(rawValue: String(parts[0])) != nil else { return false }
        return zip(parts.dropFirst(), ["l", "ls", "lw", "lr"]).allSatisfy { part, prefix in
            part.hasPrefix(prefix) && part.count > prefix.count
                && (prefix != "l" || !part.hasPrefix("ls") && !part.hasPrefix("lw") && !part.hasPrefix("lr"))
        }
    }

    /// Every parameter by its reference name, as recorded with the results
    /// and checkpoints: the table's (`KindParameters.resolved`) with the
    /// decoded fields' values over them.
    public var record: [String: String] {
        var r = parameters.resolved
        r.merge(["G": models.generator, "SE": extractor.rawValue, "lr": pythonFloat(lr),
            "loss_type": lossType, "latent_strategy": latentStrategy.rawValue, "layer_weight": layerWeight.rawValue,
            "epochs": "\(epochs)", "steps_per_epoch": "\(stepsPerEpoch)", "eval_samples": "\(evalSamples)",
            "eval_latent_strategy": evaluationStrategy.rawValue, "seed": "\(seed)",
            "accumulation": accumulation.description, "milestones": lrSchedule.milestones.map(String.init).joined(separator: ","),
            "gamma": "\(lrSchedule.gamma)", "layer_weight_lr_scale": "\(layerWeightLRScale)"]) { $1 }
        if let l = layers { r["layers"] = l.map(String.init).joined(separator: ",") }
        if let w = winograd { r["winograd"] = w.rawValue }
        if let p = models.predictor { r["predictor"] = p }
        if let l = models.labelResolution { r["label_resolution"] = "\(l)" }
        return r
    }
}

/// Parameters of a `train_fewshot` job (experiments.md "Job: train_fewshot").
public struct FewShotOptions: Sendable, Equatable {
    /// The seeds of repeat indices 0-4.
    public static let repeatSeeds: [UInt64] = [19961116, 1997816, 1116, 816, 19980903]

    /// The job's parameters as its table checks them (see `TrainOptions.parameters`).
    public var parameters: KindParameters
    public var models: ModelChoice
    public var numSample = 1
    public var repeatIndex = 0
    /// Default: `repeatSeeds[repeatIndex]`.
    public var seed: UInt64
    public var lr: Double = 0.001
    public var epochs = 50
    public var stepsPerEpoch = 128
    public var evalSamples = 10_000
    /// Regenerate features with new noise at every epoch end (StyleGAN2 `randomize_noise=True`).
    public var randomizeNoise = true
    public var lrSchedule = LearningRateSchedule.reference
    /// The convolution policy of this job (see `TrainOptions.winograd`).
    public var winograd: Winograd.Policy?

    public init(_ parameters: JobParameters) throws { try self.init(parameters.validated(.trainFewshot)) }

    /// From parameters checked against the `train_fewshot` table (defaults there).
    public init(_ p: KindParameters) throws {
        parameters = p
        models = try ModelChoice(p, generator: p.text("G"))
        numSample = try p.int("num_sample")
        repeatIndex = try p.int("repeat_ind")
        if let s = try p.optionalSeed("seed") { seed = s } else {
            guard repeatIndex < FewShotOptions.repeatSeeds.count else {
                throw JobError.badParameter(name: "repeat_ind", value: "\(repeatIndex)", expected: "0-4, or give seed=")
            }
            seed = FewShotOptions.repeatSeeds[repeatIndex]
        }
        lr = try p.number("lr")
        epochs = try p.int("epochs")
        stepsPerEpoch = try p.int("steps_per_epoch")
        evalSamples = try p.evaluationSamples()
        randomizeNoise = try p.flag("randomize_noise")
        lrSchedule = try p.schedule()
        winograd = try p.winogradPolicy()
    }

    /// Checkpoint name `r{repeat}_n{num_sample}` (+ `KindParameters.outputSuffix`).
    public var checkpointName: String { "r\(repeatIndex)_n\(numSample)" + parameters.outputSuffix }
    /// Result name `{G}_n{num}_r{repeat}_elstrunc-wp` (the suffix before `_els`).
    public var outputName: String {
        "\(models.generator)_n\(numSample)_r\(repeatIndex)\(parameters.outputSuffix)_els\(LatentStrategy.truncWP.rawValue)"
    }

    /// As `TrainOptions.record`.
    public var record: [String: String] {
        var r = parameters.resolved
        r.merge(["G": models.generator, "SE": "LSE", "num_sample": "\(numSample)",
            "repeat_ind": "\(repeatIndex)", "seed": "\(seed)", "lr": pythonFloat(lr), "epochs": "\(epochs)",
            "steps_per_epoch": "\(stepsPerEpoch)", "eval_samples": "\(evalSamples)",
            "randomize_noise": randomizeNoise ? "1" : "0", "layer_weight": "none", "loss_type": "normal",
            "latent_strategy": "trunc-wp", "milestones": lrSchedule.milestones.map(String.init).joined(separator: ","),
            "gamma": "\(lrSchedule.gamma)"]) { $1 }
        if let w = winograd { r["winograd"] = w.rawValue }
        if let p = models.predictor { r["predictor"] = p }
        if let l = models.labelResolution { r["label_resolution"] = "\(l)" }
        return r
    }
}

/// Parameters of an `evaluate` job (experiments.md "Evaluation").
public struct EvaluateOptions: Sendable, Equatable {
    /// The job's parameters as its table checks them (see `TrainOptions.parameters`).
    public var parameters: KindParameters
    public var models: ModelChoice
    /// The extractor checkpoint (project .safetensors or reference .pth).
    public var extractorPath: String
    public var samples = 10_000
    public var latentStrategy: LatentStrategy = .truncWP
    public var seed: UInt64 = 0
    /// Result name (default: `{checkpoint folder}_els{latent}`, as evaluate.py).
    public var name: String?
    /// Whether `G` was given (otherwise it is inferred from the checkpoint).
    public var generatorGiven: Bool

    public init(_ parameters: JobParameters) throws { try self.init(parameters.validated(.evaluate)) }

    /// From parameters checked against the `evaluate` table (defaults there).
    public init(_ p: KindParameters) throws {
        parameters = p
        extractorPath = try p.text("SE_path")
        // evaluate.py's G_from_SE: the first two '_' fields of the checkpoint's folder name.
        let folder = URL(fileURLWithPath: extractorPath).deletingLastPathComponent().lastPathComponent
        let inferred = folder.split(separator: "_").prefix(2).joined(separator: "_")
        let g = try p.optionalText("G")
        models = try ModelChoice(p, generator: g ?? inferred)
        generatorGiven = g != nil
        samples = try p.int("eval_samples")
        latentStrategy = try p.latent("latent_strategy")
        seed = try p.seed("seed")
        name = try p.optionalText("name")
    }

    /// `name`, else `{checkpoint folder}{KindParameters.outputSuffix}_els{latent}`.
    public var outputName: String {
        name ?? URL(fileURLWithPath: extractorPath).deletingLastPathComponent().lastPathComponent
            + parameters.outputSuffix + "_els\(latentStrategy.rawValue)"
    }

    /// As `TrainOptions.record`.
    public var record: [String: String] {
        var r = parameters.resolved
        r.merge(["G": models.generator, "SE_path": extractorPath, "eval_samples": "\(samples)",
                 "latent_strategy": latentStrategy.rawValue, "seed": "\(seed)"]) { $1 }
        if let p = models.predictor { r["predictor"] = p }
        if let l = models.labelResolution { r["label_resolution"] = "\(l)" }
        return r
    }
}
