import Foundation
import LGTensor
import LGModels
import LGSemantics

/// The kinds of job.
public enum JobKind: String, Codable, Sendable, CaseIterable {
    case train
    case trainFewshot = "train_fewshot"
    case evaluate
}

/// A job's parameters as text, by the names experiments.md uses
/// (`G`, `SE`, `lr`, `loss_type`, ...), as given with `--set NAME=VALUE` or
/// stored with a queued job.
extension Winograd.Policy {
    /// A job's `winograd=` value (`off`, `inference` or `always`); nil when
    /// not given. Every job kind that takes the parameter parses it here.
    public static func jobParameter(_ value: String?) throws -> Winograd.Policy? {
        guard let value else { return nil }
        guard let policy = Winograd.Policy(rawValue: value) else {
            throw JobError.badParameter(name: "winograd", value: value,
                                        expected: Winograd.Policy.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return policy
    }
}

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

    /// The values with a preset's defaults under them (`preset=quick|smoke|paper`).
    func applyingPreset(_ kind: JobKind) throws -> JobParameters {
        guard let p = values["preset"] else { return self }
        let defaults: [String: String]
        switch (p, kind) {
        case ("paper", _): defaults = [:]
        case ("quick", .train): defaults = ["epochs": "2", "steps_per_epoch": "64", "eval_samples": "100"]
        case ("quick", .trainFewshot): defaults = ["epochs": "2", "steps_per_epoch": "16", "eval_samples": "100"]
        case ("quick", .evaluate): defaults = ["eval_samples": "100"]
        case ("smoke", .train): defaults = ["epochs": "1", "steps_per_epoch": "4", "eval_samples": "2"]
        case ("smoke", .trainFewshot): defaults = ["epochs": "1", "steps_per_epoch": "4", "eval_samples": "2"]
        case ("smoke", .evaluate): defaults = ["eval_samples": "2"]
        default:
            throw JobError.badParameter(name: "preset", value: p, expected: "paper, quick or smoke")
        }
        return JobParameters(defaults.merging(values) { _, given in given })
    }

    /// `winograd=off|inference|always`, nil when not given.
    func winogradPolicy() throws -> Winograd.Policy? {
        try Winograd.Policy.jobParameter(self["winograd"])
    }

    /// Parameters every kind takes because the worker, not the job, reads
    /// them: `memory_mb`, the job's expected peak (its memory gate; docs/usage.md).
    public static let workerParameters: Set<String> = ["memory_mb"]

    /// The names in `given` that are neither `known` nor worker parameters, sorted.
    public static func unknownNames<S: Sequence>(_ given: S, known: [String]) -> [String] where S.Element == String {
        given.filter { !known.contains($0) && !workerParameters.contains($0) }.sorted()
    }

    func check(known: [String], kind: JobKind) throws {
        let unknown = Self.unknownNames(values.keys, known: known)
        if !unknown.isEmpty { throw JobError.unknownParameters(kind: kind.rawValue, names: unknown, known: known) }
    }

    func string(_ name: String, default d: String) -> String { values[name] ?? d }

    func required(_ name: String, kind: JobKind) throws -> String {
        guard let v = values[name], !v.isEmpty else { throw JobError.missingParameter(kind: kind.rawValue, name: name) }
        return v
    }

    func int(_ name: String, default d: Int, min lo: Int = 0) throws -> Int {
        guard let s = values[name] else { return d }
        guard let v = Int(s), v >= lo else { throw JobError.badParameter(name: name, value: s, expected: "an integer >= \(lo)") }
        return v
    }

    func uint64(_ name: String) throws -> UInt64? {
        guard let s = values[name] else { return nil }
        guard let v = UInt64(s) else { throw JobError.badParameter(name: name, value: s, expected: "a non-negative integer") }
        return v
    }

    func double(_ name: String, default d: Double) throws -> Double {
        guard let s = values[name] else { return d }
        guard let v = Double(s), v.isFinite, v > 0 else { throw JobError.badParameter(name: name, value: s, expected: "a positive number") }
        return v
    }

    func bool(_ name: String, default d: Bool) throws -> Bool {
        guard let s = values[name] else { return d }
        switch s.lowercased() {
        case "1", "true", "yes": return true
        case "0", "false", "no": return false
        default: throw JobError.badParameter(name: name, value: s, expected: "0 or 1")
        }
    }

    func ints(_ name: String) throws -> [Int]? {
        guard let s = values[name] else { return nil }
        let parts = s.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil && $0! >= 0 }) else {
            throw JobError.badParameter(name: name, value: s, expected: "comma-separated integers >= 0")
        }
        return parts.map { $0! }
    }

    func latent(_ name: String, default d: LatentStrategy) throws -> LatentStrategy {
        guard let s = values[name] else { return d }
        guard let v = LatentStrategy(rawValue: s) else {
            throw JobError.badParameter(name: name, value: s, expected: LatentStrategy.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return v
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

    static let keys = ["G", "weights", "predictor", "predictor_weights", "label_resolution"]

    public init(generator: String, generatorWeights: String? = nil, predictor: String? = nil,
                predictorWeights: String? = nil, labelResolution: Int? = nil) {
        self.generator = generator; self.generatorWeights = generatorWeights; self.predictor = predictor
        self.predictorWeights = predictorWeights; self.labelResolution = labelResolution
    }

    init(_ p: JobParameters, generator: String) throws {
        self.generator = generator
        generatorWeights = p["weights"]
        predictor = p["predictor"]
        predictorWeights = p["predictor_weights"]
        labelResolution = p["label_resolution"] == nil ? nil : try p.int("label_resolution", default: 0, min: 1)
    }
}

/// Parameters of a `train` job (experiments.md "Job: train").
public struct TrainOptions: Sendable, Equatable, Codable {
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

    public static let keys = ModelChoice.keys + ["SE", "lr", "loss_type", "latent_strategy", "layer_weight", "epochs",
        "steps_per_epoch", "eval_samples", "eval", "eval_latent_strategy", "seed", "layers", "accumulation",
        "milestones", "gamma", "layer_weight_lr_scale", "winograd", "preset"]

    public init(generator: String, extractor: ExtractorType) {
        models = ModelChoice(generator: generator)
        self.extractor = extractor
    }

    public init(_ parameters: JobParameters) throws {
        let p = try parameters.applyingPreset(.train)
        try p.check(known: TrainOptions.keys, kind: .train)
        models = try ModelChoice(p, generator: try p.required("G", kind: .train))
        let se = p.string("SE", default: "LSE")
        guard let t = ExtractorType(rawValue: se) else {
            throw JobError.badParameter(name: "SE", value: se, expected: "LSE, NSE-1 or NSE-2")
        }
        extractor = t
        lr = try p.double("lr", default: 0.001)
        lossType = p.string("loss_type", default: "normal")
        guard ["normal", "focal", "normallayer"].contains(lossType) else {
            throw JobError.badParameter(name: "loss_type", value: lossType, expected: "normal, focal or normallayer")
        }
        latentStrategy = try p.latent("latent_strategy", default: .truncWP)
        let lw = p.string("layer_weight", default: "softplus")
        guard let lwt = LayerWeightType(rawValue: lw), lwt != .direct else {
            throw JobError.badParameter(name: "layer_weight", value: lw, expected: "softplus, sigmoid or none")
        }
        layerWeight = lwt
        epochs = try p.int("epochs", default: 50, min: 1)
        stepsPerEpoch = try p.int("steps_per_epoch", default: 1024, min: 1)
        evalSamples = try p.bool("eval", default: true) ? try p.int("eval_samples", default: 10_000) : 0
        evalLatentStrategy = p["eval_latent_strategy"] == nil ? nil : try p.latent("eval_latent_strategy", default: .truncWP)
        seed = try p.uint64("seed") ?? 0
        layers = try p.ints("layers")
        if let a = p["accumulation"] { accumulation = try AccumulationSchedule(parsing: a) }
        lrSchedule = LearningRateSchedule(milestones: try p.ints("milestones") ?? [20],
                                          gamma: Float(try p.double("gamma", default: 0.1)))
        layerWeightLRScale = Float(try p.double("layer_weight_lr_scale", default: 10))
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
    /// `_P{predictor}`, `_res{label_resolution}`, in that order.
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
        return name + suffix
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

    /// Every parameter by its reference name, as recorded with the results.
    public var record: [String: String] {
        var r: [String: String] = ["G": models.generator, "SE": extractor.rawValue, "lr": pythonFloat(lr),
            "loss_type": lossType, "latent_strategy": latentStrategy.rawValue, "layer_weight": layerWeight.rawValue,
            "epochs": "\(epochs)", "steps_per_epoch": "\(stepsPerEpoch)", "eval_samples": "\(evalSamples)",
            "eval_latent_strategy": evaluationStrategy.rawValue, "seed": "\(seed)",
            "accumulation": accumulation.description, "milestones": lrSchedule.milestones.map(String.init).joined(separator: ","),
            "gamma": "\(lrSchedule.gamma)", "layer_weight_lr_scale": "\(layerWeightLRScale)"]
        if let l = layers { r["layers"] = l.map(String.init).joined(separator: ",") }
        if let w = winograd { r["winograd"] = w.rawValue }
        if let p = models.predictor { r["predictor"] = p }
        if let l = models.labelResolution { r["label_resolution"] = "\(l)" }
        return r
    }
}

/// Parameters of a `train_fewshot` job (experiments.md "Job: train_fewshot").
public struct FewShotOptions: Sendable, Equatable, Codable {
    /// The seeds of repeat indices 0-4.
    public static let repeatSeeds: [UInt64] = [19961116, 1997816, 1116, 816, 19980903]

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

    public static let keys = ModelChoice.keys + ["num_sample", "repeat_ind", "seed", "lr", "epochs", "steps_per_epoch",
        "eval_samples", "eval", "randomize_noise", "milestones", "gamma", "winograd", "preset"]

    public init(_ parameters: JobParameters) throws {
        let p = try parameters.applyingPreset(.trainFewshot)
        try p.check(known: FewShotOptions.keys, kind: .trainFewshot)
        models = try ModelChoice(p, generator: p.string("G", default: "stylegan2_ffhq"))
        numSample = try p.int("num_sample", default: 1, min: 1)
        repeatIndex = try p.int("repeat_ind", default: 0)
        if let s = try p.uint64("seed") { seed = s } else {
            guard repeatIndex < FewShotOptions.repeatSeeds.count else {
                throw JobError.badParameter(name: "repeat_ind", value: "\(repeatIndex)", expected: "0-4, or give seed=")
            }
            seed = FewShotOptions.repeatSeeds[repeatIndex]
        }
        lr = try p.double("lr", default: 0.001)
        epochs = try p.int("epochs", default: 50, min: 1)
        stepsPerEpoch = try p.int("steps_per_epoch", default: 128, min: 1)
        evalSamples = try p.bool("eval", default: true) ? try p.int("eval_samples", default: 10_000) : 0
        randomizeNoise = try p.bool("randomize_noise", default: true)
        lrSchedule = LearningRateSchedule(milestones: try p.ints("milestones") ?? [20],
                                          gamma: Float(try p.double("gamma", default: 0.1)))
        winograd = try p.winogradPolicy()
    }

    /// Checkpoint name `r{repeat}_n{num_sample}`.
    public var checkpointName: String { "r\(repeatIndex)_n\(numSample)" }
    /// Result name `{G}_n{num}_r{repeat}_elstrunc-wp`.
    public var outputName: String { "\(models.generator)_n\(numSample)_r\(repeatIndex)_els\(LatentStrategy.truncWP.rawValue)" }

    public var record: [String: String] {
        var r: [String: String] = ["G": models.generator, "SE": "LSE", "num_sample": "\(numSample)",
            "repeat_ind": "\(repeatIndex)", "seed": "\(seed)", "lr": pythonFloat(lr), "epochs": "\(epochs)",
            "steps_per_epoch": "\(stepsPerEpoch)", "eval_samples": "\(evalSamples)",
            "randomize_noise": randomizeNoise ? "1" : "0", "layer_weight": "none", "loss_type": "normal",
            "latent_strategy": "trunc-wp", "milestones": lrSchedule.milestones.map(String.init).joined(separator: ","),
            "gamma": "\(lrSchedule.gamma)"]
        if let w = winograd { r["winograd"] = w.rawValue }
        if let p = models.predictor { r["predictor"] = p }
        if let l = models.labelResolution { r["label_resolution"] = "\(l)" }
        return r
    }
}

/// Parameters of an `evaluate` job (experiments.md "Evaluation").
public struct EvaluateOptions: Sendable, Equatable, Codable {
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

    public static let keys = ModelChoice.keys + ["SE_path", "eval_samples", "latent_strategy", "seed", "name", "preset"]

    public init(_ parameters: JobParameters) throws {
        let p = try parameters.applyingPreset(.evaluate)
        try p.check(known: EvaluateOptions.keys, kind: .evaluate)
        extractorPath = try p.required("SE_path", kind: .evaluate)
        // evaluate.py's G_from_SE: the first two '_' fields of the checkpoint's folder name.
        let folder = URL(fileURLWithPath: extractorPath).deletingLastPathComponent().lastPathComponent
        let inferred = folder.split(separator: "_").prefix(2).joined(separator: "_")
        models = try ModelChoice(p, generator: p["G"] ?? inferred)
        generatorGiven = p["G"] != nil
        samples = try p.int("eval_samples", default: 10_000, min: 1)
        latentStrategy = try p.latent("latent_strategy", default: .truncWP)
        seed = try p.uint64("seed") ?? 0
        name = p["name"]
    }

    public var outputName: String {
        name ?? URL(fileURLWithPath: extractorPath).deletingLastPathComponent().lastPathComponent + "_els\(latentStrategy.rawValue)"
    }

    public var record: [String: String] {
        var r: [String: String] = ["G": models.generator, "SE_path": extractorPath, "eval_samples": "\(samples)",
                                   "latent_strategy": latentStrategy.rawValue, "seed": "\(seed)"]
        if let p = models.predictor { r["predictor"] = p }
        if let l = models.labelResolution { r["label_resolution"] = "\(l)" }
        return r
    }
}
