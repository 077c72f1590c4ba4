extension KindTables {
    /// `evaluate`: a trained extractor on fresh samples (experiments.md "Evaluation").
    static let evaluate = KindTable(
        kind: .evaluate,
        summary: "evaluate a trained extractor (project .safetensors or reference .pth) on fresh samples",
        parameters: [
            ParameterSpec("SE_path", .text, required: true, "the extractor checkpoint"),
            ParameterSpec("G", .text, "registered generator (default: the first two '_' fields of the checkpoint's folder, as evaluate.py)"),
        ] + models + [
            ParameterSpec("eval_samples", .int(min: 1), default: "10000", "fresh samples"),
            ParameterSpec("latent_strategy", .choice(latentStrategies), default: "trunc-wp", "how the latents are drawn"),
            ParameterSpec("seed", .seed, default: "0", "seed of the latents"),
            ParameterSpec("name", .text, "result name (default: {checkpoint folder}_els{latent_strategy})"),
            ParameterSpec("full_label", .flag,
                          "label with all 150 ADE20K classes, as a train job with full_label=1 did (default: what the checkpoint records, else 0)"),
        ],
        presets: [
            "paper": [:],
            "quick": ["eval_samples": "100"],
            "smoke": ["eval_samples": "2"],
        ],
        metrics: evaluationMetrics + [
            MetricSpec("train_seconds", "0 (no training)"),
            MetricSpec("eval_seconds", "evaluation time"),
        ],
        generatorParameter: "G")
}
