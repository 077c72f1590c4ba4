import Foundation
import LGTensor
import LGModels
import LGSemantics
import LGJobKinds

/// The jobs a worker runs: `train`, `train_fewshot`, `evaluate`.
///
/// Each comes in two forms: with the networks already built (`models:`),
/// and by registered names through a `ModelRegistry` (what workers and
/// `worker run-local` call). Randomness comes only from the job's seed;
/// progress, checkpoints and cancellation go through the `JobRunContext`.
public enum Jobs {
    /// Runs a job given by kind and text parameters (`--set` / queue form).
    public static func run(kind: JobKind, parameters: JobParameters, registry: ModelRegistry,
                           context: JobRunContext = JobRunContext(), outputs: JobOutputs? = nil) throws -> JobReport {
        switch kind {
        case .train:
            let options = try TrainOptions(parameters)
            return try Winograd.with(policy: options.winograd ?? .trainingDefault) {
                try train(options, registry: registry, context: context, outputs: outputs)
            }
        case .trainFewshot:
            let options = try FewShotOptions(parameters)
            return try Winograd.with(policy: options.winograd ?? .trainingDefault) {
                try trainFewshot(options, registry: registry, context: context, outputs: outputs)
            }
        case .evaluate:
            return try evaluate(EvaluateOptions(parameters), registry: registry, context: context, outputs: outputs)
        default:
            throw ParameterError.unknownKind(kind.rawValue, allowed: kinds.map(\.rawValue))
        }
    }

    /// The kinds `run` runs (the others have executors of their own).
    public static let kinds: [JobKind] = [.train, .trainFewshot, .evaluate]

    /// `train` with the generator and predictor resolved by name.
    public static func train(_ options: TrainOptions, registry: ModelRegistry, context: JobRunContext = JobRunContext(),
                             outputs: JobOutputs? = nil) throws -> JobReport {
        let models = try JobModels.load(options.models, registry: registry, fullLabel: options.parameters.flag("full_label"))
        context.log("train \(options.outputName): \(options.epochs) x \(options.stepsPerEpoch) steps, eval \(options.evalSamples)")
        return try train(options, models: models, context: context, outputs: outputs)
    }

    /// `train_fewshot` with the generator built with randomised noise (unless `randomize_noise=0`).
    public static func trainFewshot(_ options: FewShotOptions, registry: ModelRegistry, context: JobRunContext = JobRunContext(),
                                    outputs: JobOutputs? = nil) throws -> JobReport {
        let models = try JobModels.load(options.models, registry: registry,
                                        options: GeneratorOptions(randomizeNoise: options.randomizeNoise ? true : nil))
        context.log("train_fewshot \(options.outputName): N=\(options.numSample), seed \(options.seed)")
        return try trainFewshot(options, models: models, context: context, outputs: outputs)
    }

    /// `evaluate` of the checkpoint at `options.extractorPath` (project
    /// `.safetensors` or the reference's `.pth`).
    /// Without `G` the generator is the checkpoint's recorded `G` (project
    /// format), else the longest registered name prefixing the checkpoint's
    /// folder name, else evaluate.py's rule (its first two `_` fields).
    public static func evaluate(_ options: EvaluateOptions, registry: ModelRegistry, context: JobRunContext = JobRunContext(),
                                outputs: JobOutputs? = nil) throws -> JobReport {
        let url = URL(fileURLWithPath: options.extractorPath)
        let se = try SemanticCheckpoint.loadAny(url)
        let metadata = (try? SemanticCheckpoint.read(url))?.metadata ?? [:]
        var options = options
        if !options.generatorGiven {
            let folder = url.deletingLastPathComponent().lastPathComponent
            let recorded = metadata["G"]
            let prefixed = registry.generators.map(\.name).filter { folder == $0 || folder.hasPrefix($0 + "_") }
                .max { $0.count < $1.count }
            if let g = recorded ?? prefixed { options.models.generator = g }
        }
        // An extractor trained with full_label=1 records it: its evaluation labels the same way.
        let fullLabel = try options.parameters.optionalFlag("full_label") ?? (metadata["full_label"].flatMap { Int($0) } == 1)
        let models = try JobModels.load(options.models, registry: registry, fullLabel: fullLabel)
        return try evaluate(options, extractor: se, models: models, context: context, outputs: outputs)
    }
}

extension Jobs {
    /// The job's output name (result file stem) from its parameters.
    public static func outputName(kind: JobKind, parameters: JobParameters) throws -> String {
        switch kind {
        case .train: return try TrainOptions(parameters).outputName
        case .trainFewshot:
            let o = try FewShotOptions(parameters)
            return "\(o.models.generator)_LSE_fewshot_\(o.checkpointName)"
        case .evaluate: return try EvaluateOptions(parameters).outputName
        default: throw ParameterError.unknownKind(kind.rawValue, allowed: kinds.map(\.rawValue))
        }
    }
}

extension Jobs {
    /// The trained extractor held by a job checkpoint (what `train` and
    /// `train_fewshot` save through their checkpoint hook; a finished job's
    /// last checkpoint holds its final parameters). Used by jobs that depend
    /// on another job's extractor, such as `scs` on `train_fewshot`.
    public static func extractor(fromCheckpoint data: Data) throws -> any SemanticExtractor {
        let (state, tensors) = try JobState.decode(data)
        guard let arch = state.arch else {
            throw JobError.corruptCheckpoint("the job checkpoint holds no extractor")
        }
        guard state.phase != .training else {
            throw JobError.corruptCheckpoint("the job checkpoint is from the middle of training, not a finished extractor")
        }
        var params: [String: Tensor] = [:]
        for (k, t) in tensors where k.hasPrefix("param/") { params[String(k.dropFirst(6))] = t }
        return try makeSemanticExtractor(arch, stateDict: StateDict(params, source: "job checkpoint"))
    }
}
