extension KindTables {
    /// `scs`: semantic-conditional sampling (experiments.md "Job: scs").
    static let scs = KindTable(
        kind: .scs,
        summary: "semantic-conditional sampling towards target label maps, with a few-shot LSE (its train_fewshot job) or the predictor (baseline)",
        parameters: [
            ParameterSpec("G", .text, required: true, "registered StyleGAN-family generator"),
            ParameterSpec("predictor", .text, addable: true, inheritedByNeeds: true,
                          "registered predictor of the same label set instead of the generator's"),
            ParameterSpec("extractor", .choice(["fewshot_lse", "predictor"]), default: "fewshot_lse",
                          "fewshot_lse (the LSE r{repeat}_n{num_sample}) or predictor (the baseline)"),
            ParameterSpec("repeat", .int(min: 0), default: "0", "repeat index of the few-shot LSE"),
            ParameterSpec("num_sample", .int(min: 1), default: "8", "N of the few-shot LSE"),
            ParameterSpec("targets", .int(min: 1), default: "100", "target label maps (P-labels of generated images)"),
            ParameterSpec("target_seed", .seed, default: "1", "seed of the targets' latents (trunc-wp)"),
            ParameterSpec("samples_per_target", .int(min: 1), default: "10", "samples drawn per target"),
            ParameterSpec("n_init", .int(min: 1), default: "10", "random z scored before optimising; the best is kept"),
            ParameterSpec("steps", .int(min: 0), default: "50", "Adam steps on the latent"),
            ParameterSpec("lr", .positive, default: "0.002", "Adam learning rate"),
            ParameterSpec("optim_strategy", .choice(["z", "mixwp"]), default: "z", "optimise one z, or one z per layer"),
            ParameterSpec("z_reg", .positive, default: "0.001",
                          "weight of the latent regularisers (the reference's fixed 1e-3; no other value is implemented)"),
            ParameterSpec("seed", .seed, default: "0", "seed of the samples' initial draws"),
        ],
        metrics: [
            MetricSpec("mIoU", "mIoU between the targets and the predictor's labels of the samples"),
            MetricSpec("pixel_accuracy", "pixel agreement with the targets"),
            MetricSpec("initial_mIoU", "mIoU before optimisation (the best of n_init)"),
            MetricSpec("random_mIoU", "mIoU of random samples"),
            MetricSpec("iou/", perClass: true, "IoU of each class, by class name"),
        ],
        generatorParameter: "G", variantParameter: "extractor")
}
