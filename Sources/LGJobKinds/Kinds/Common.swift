// Parameters several kinds share: the models a job loads, and the worker's own.
import Foundation

/// The tables of every kind (one file each in Kinds/).
public enum KindTables {
    /// The parameters the worker reads before the job runs, taken by every kind.
    static let workerParameters: [ParameterSpec] = [
        ParameterSpec("memory_mb", .positive, addable: true, reader: .worker,
                      "the job's expected peak memory in MiB: the worker starts it only when that much is free (docs/usage.md)"),
    ]

    /// `preset=NAME` where a kind has presets.
    static func presetParameter(_ presets: [String: [String: String]]) -> ParameterSpec {
        ParameterSpec("preset", .choice(presets.keys.sorted()),
                      "defaults laid under the job's values: " + presets.keys.sorted().map { name in
                          let d = presets[name]!
                          return d.isEmpty ? "\(name) (none)" : "\(name) (" + d.keys.sorted().map { "\($0)=\(d[$0]!)" }.joined(separator: " ") + ")"
                      }.joined(separator: "; "))
    }

    /// The registered models a job loads (ModelChoice in LGJobs).
    static let models: [ParameterSpec] = [
        ParameterSpec("weights", .text, "generator weight file (default: the registry's search, configs/)"),
        ParameterSpec("predictor", .text, addable: true, inheritedByNeeds: true,
                      "registered predictor to label with instead of the generator's (reproducing tables made under another one)"),
        ParameterSpec("predictor_weights", .text, "predictor weight file (default: the registry's search)"),
        ParameterSpec("label_resolution", .int(min: 1), "label resolution (default: the generator's registered one)"),
    ]

    static let winograd = ParameterSpec("winograd", .choice(["off", "inference", "always"]), addable: true,
        "convolution policy: always (fast), inference (reproduces the reference's first Adam steps to 1e-4), off; default: the worker's LG_WINOGRAD, else always")

    static let latentStrategies = ["trunc-wp", "notrunc-wp", "notrunc-mixwp"]

    /// Evaluation after training.
    static let evaluation: [ParameterSpec] = [
        ParameterSpec("eval", .flag, default: "1", "evaluate after training (0: no evaluation, as the reference's --eval 0)"),
        ParameterSpec("eval_samples", .int(min: 0), default: "10000", "fresh samples of the final evaluation"),
    ]

    static let schedule: [ParameterSpec] = [
        ParameterSpec("milestones", .intList, default: "20", "epochs at which the learning rate is multiplied by gamma"),
        ParameterSpec("gamma", .positive, default: "0.1", "learning-rate factor at each milestone"),
    ]

    /// What an evaluated extractor writes.
    static let evaluationMetrics: [MetricSpec] = [
        MetricSpec("mIoU", "mean IoU over the classes present (the paper's metric)"),
        MetricSpec("pixel_accuracy", "share of pixels labelled as the predictor labels them"),
        MetricSpec("iou/", perClass: true, "IoU of each class, by class name"),
        MetricSpec("eval_samples", "samples evaluated"),
    ]

    /// What a trained-then-evaluated extractor writes.
    static let trainingMetrics = evaluationMetrics + [
        MetricSpec("train_seconds", "training time"),
        MetricSpec("eval_seconds", "evaluation time"),
        MetricSpec("loss@", perStep: true, "mean training loss of the epoch ending at that step"),
        MetricSpec("train_mIoU@", perStep: true, "mIoU of the epoch's training predictions against the predictor's labels"),
        MetricSpec("lr@", perStep: true, "learning rate of the epoch ending at that step"),
    ]
}
