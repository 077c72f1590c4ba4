extension KindTables {
    /// `train`: LSE / NSE-1 / NSE-2 on a generator's features (experiments.md "Job: train").
    static let train = KindTable(
        kind: .train,
        summary: "train a semantic extractor (LSE, NSE-1, NSE-2) on a generator's features against its predictor's labels, then evaluate it",
        parameters: [
            ParameterSpec("G", .text, required: true, "registered generator (`worker models`)"),
        ] + models + [
            ParameterSpec("SE", .choice(["LSE", "NSE-1", "NSE-2"]), default: "LSE", "the extractor"),
            ParameterSpec("lr", .positive, default: "0.001", "Adam learning rate"),
            ParameterSpec("loss_type", .choice(["normal", "focal", "normallayer"]), default: "normal",
                          "normal (cross-entropy), focal, normallayer (adds per-layer CE terms)"),
            ParameterSpec("latent_strategy", .choice(latentStrategies), default: "trunc-wp", "how training latents are drawn"),
            ParameterSpec("layer_weight", .choice(["softplus", "sigmoid", "none"]), default: "softplus", "LSE / NSE-1 layer weighting"),
            ParameterSpec("epochs", .int(min: 1), default: "50", "epochs"),
            ParameterSpec("steps_per_epoch", .int(min: 1), default: "1024", "steps per epoch"),
        ] + evaluation + [
            ParameterSpec("eval_latent_strategy", .choice(latentStrategies), "latent strategy of the evaluation (default: the training one)"),
            ParameterSpec("seed", .seed, default: "0", "seed of the training and evaluation latents"),
            ParameterSpec("layers", .intList, "generator layers used (default: all)"),
            ParameterSpec("accumulation", .pattern("epoch:steps pairs such as 0:1,2:4,18:64"),
                          "gradient accumulation schedule (default: the reference's 0:1,2:4,18:64)"),
        ] + schedule + [
            ParameterSpec("layer_weight_lr_scale", .positive, default: "10", "learning-rate multiple of the layer weights"),
            ParameterSpec("full_label", .flag, default: "0", outputTag: "full",
                          "scene GANs: label with all 150 ADE20K classes (151 with background) instead of the GAN's selected ones, as the reference's --full-label 1; only the scene segmenter takes it"),
            ParameterSpec("reload", .text, outputTag: "from_",
                          "extractor file to train on from instead of a fresh initialisation, as the reference's --reload (the project's .safetensors or the reference's .pth); it must have this job's SE, classes, layers and layer weighting"),
            winograd,
        ],
        presets: [
            "paper": [:],
            "quick": ["epochs": "2", "steps_per_epoch": "64", "eval_samples": "100"],
            "smoke": ["epochs": "1", "steps_per_epoch": "4", "eval_samples": "2"],
        ],
        metrics: trainingMetrics,
        generatorParameter: "G", variantParameter: "SE",
        // LSE, NSE-1, NSE-2 (and any lr, loss, schedule, layers) of one
        // generator and seed see the same samples: one cell.
        cellParameters: ["G"] + models.map(\.name) + ["latent_strategy", "seed", "full_label", "winograd"])
}
