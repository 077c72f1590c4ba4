extension KindTables {
    /// `train_fewshot`: a few-shot LSE from N labelled samples (experiments.md "Job: train_fewshot").
    static let trainFewshot = KindTable(
        kind: .trainFewshot,
        summary: "train an LSE from num_sample labelled samples (the paper's few-shot experiment), then evaluate it",
        parameters: [
            ParameterSpec("G", .text, default: "stylegan2_ffhq", "registered generator (`worker models`)"),
        ] + models + [
            ParameterSpec("num_sample", .int(min: 1), default: "1", "labelled samples"),
            ParameterSpec("repeat_ind", .int(min: 0), default: "0", "repeat index; picks the seed (0-4) unless seed is given"),
            ParameterSpec("seed", .seed, "seed of the samples (default: the reference's seed of repeat_ind)"),
            ParameterSpec("lr", .positive, default: "0.001", "Adam learning rate"),
            ParameterSpec("epochs", .int(min: 1), default: "50", "epochs"),
            ParameterSpec("steps_per_epoch", .int(min: 1), default: "128", "steps per epoch"),
        ] + evaluation + [
            ParameterSpec("randomize_noise", .flag, default: "1", "regenerate features with new noise at every epoch end"),
        ] + schedule + [winograd],
        presets: [
            "paper": [:],
            "quick": ["epochs": "2", "steps_per_epoch": "16", "eval_samples": "100"],
            "smoke": ["epochs": "1", "steps_per_epoch": "4", "eval_samples": "2"],
        ],
        metrics: trainingMetrics,
        generatorParameter: "G")
}
