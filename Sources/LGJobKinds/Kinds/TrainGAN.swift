extension KindTables {
    /// `train_gan`: one generator of the embedded zoo (docs/gan-training.md).
    static let trainGAN = KindTable(
        kind: .trainGAN,
        summary: "train one generator of the embedded zoo on a procedural domain",
        parameters: [
            ParameterSpec("family", .choice(["pggan", "stylegan", "stylegan2"]), required: true, "generator family"),
            ParameterSpec("domain", .text, required: true, "procedural domain (toyface, toybedroom, toychurch)"),
            ParameterSpec("resolution", .int(min: 8), default: "32", "image size"),
            ParameterSpec("fmaps_max", .int(min: 1), default: "64", "widest feature map"),
            ParameterSpec("latent_dim", .int(min: 1), default: "128", "z and w size"),
            ParameterSpec("mapping_layers", .int(min: 0), default: "4", "mapping network depth (StyleGAN families)"),
            ParameterSpec("batch", .int(min: 1), default: "16", "batch size"),
            ParameterSpec("steps", .int(min: 0), default: "20000", "optimisation steps (one D and one G update each)"),
            ParameterSpec("seed", .seed, default: "0", "seed"),
            ParameterSpec("sample_every", .int(min: 0), default: "1000", "sample sheet every this many steps (0: only at the end)"),
            ParameterSpec("winograd", .choice(["off", "inference", "always"]),
                          "convolution policy (default: the training default, always unless LG_WINOGRAD says otherwise)"),
        ],
        metrics: [
            MetricSpec("steps", "steps completed"),
            MetricSpec("images_seen", "real images seen"),
            MetricSpec("d_loss", "last discriminator loss"),
            MetricSpec("g_loss", "last generator loss"),
            MetricSpec("train_seconds", "training time"),
            MetricSpec("steps_per_second", "rate of this run"),
        ])
}
