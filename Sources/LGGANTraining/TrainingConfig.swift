import Foundation
import LGModels

/// Everything that defines a GAN training run (the image source aside).
public struct GANTrainingConfig: Sendable, Equatable {
    public var generator: GeneratorSpec
    public var discriminator: DiscriminatorConfig
    public var batchSize: Int
    public var loss: GANLoss
    public var learningRateG: Float
    public var learningRateD: Float
    /// Adam's betas for both networks.
    public var beta1: Float
    public var beta2: Float
    public var ema: GeneratorEMA
    /// Weight of the finite-difference R1 penalty on real images (0: off);
    /// see `FiniteDifferenceR1`.
    public var r1Gamma: Float
    /// Step of the finite difference (image units, images in [-1, 1]).
    public var r1Sigma: Float
    /// Lazy regularisation (StyleGAN2): the penalty, times this interval,
    /// is added on every `r1Interval`-th D update only (1: every update).
    public var r1Interval: Int
    /// StyleGAN / StyleGAN2: draw the per-layer noise per sample while
    /// training (genforce's training mode); G_ema and the exported model use
    /// the fixed noise buffers.
    public var randomizeNoise: Bool
    /// The seed of every random stream of the run.
    public var seed: UInt64
    /// Images on the sample sheet (fixed latents drawn from `seed`).
    public var sampleCount: Int

    public init(generator: GeneratorSpec, discriminator: DiscriminatorConfig, batchSize: Int = 16,
                loss: GANLoss = .hinge, learningRateG: Float = 0.002, learningRateD: Float = 0.002,
                beta1: Float = 0, beta2: Float = 0.99, ema: GeneratorEMA = GeneratorEMA(),
                r1Gamma: Float = 0, r1Sigma: Float = 0.01, r1Interval: Int = 1, randomizeNoise: Bool = true, seed: UInt64 = 0, sampleCount: Int = 16) {
        self.generator = generator; self.discriminator = discriminator; self.batchSize = batchSize
        self.loss = loss; self.learningRateG = learningRateG; self.learningRateD = learningRateD
        self.beta1 = beta1; self.beta2 = beta2; self.ema = ema
        self.r1Gamma = r1Gamma; self.r1Sigma = r1Sigma; self.r1Interval = r1Interval; self.randomizeNoise = randomizeNoise
        self.seed = seed; self.sampleCount = sampleCount
    }

    /// A small generator/discriminator pair of `family` at `resolution`
    /// with the default recipe (spectrally normalised D, hinge loss,
    /// finite-difference R1 of `defaultR1Gamma`, Adam lr 0.002, betas (0, 0.99)):
    /// fmaps_base = 16 * fmapsMax (full width up to 16 px, halving above),
    /// z (and w) of `latentDim`, StyleGAN mapping of `mappingLayers` layers,
    /// genforce's other defaults (StyleGAN2 skip generator, resnet discriminator).
    public static func small(family: GeneratorFamily, resolution: Int, fmapsMax: Int = 128,
                             latentDim: Int = 128, mappingLayers: Int = 4, batchSize: Int = 16,
                             seed: UInt64 = 0) -> GANTrainingConfig {
        let base = fmapsMax * 16
        let spec: GeneratorSpec
        switch family {
        case .pggan:
            spec = .pggan(PGGANConfig(resolution: resolution, zSpaceDim: latentDim, fmapsBase: base, fmapsMax: fmapsMax))
        case .stylegan, .stylegan2:
            var c = StyleGANConfig(family: family == .stylegan ? .stylegan : .stylegan2, resolution: resolution)
            c.zSpaceDim = latentDim; c.wSpaceDim = latentDim; c.numMappingLayers = mappingLayers
            c.fmapsBase = base; c.fmapsMax = fmapsMax
            spec = .style(c)
        }
        let d = DiscriminatorConfig(family: family, resolution: resolution, fmapsBase: base, fmapsMax: fmapsMax)
        return GANTrainingConfig(generator: spec, discriminator: d, batchSize: batchSize,
                                 r1Gamma: defaultR1Gamma(resolution: resolution), seed: seed)
    }

    /// The recipe's R1 weight: 4 at 16 px, scaled with the pixel count (the
    /// squared gradient norm sums over pixels), as StyleGAN2-ADA's heuristic.
    public static func defaultR1Gamma(resolution: Int) -> Float {
        4 * Float(resolution * resolution) / 256
    }

    public func validate() throws {
        try generator.validate()
        try discriminator.validate()
        guard generator.family == discriminator.family else {
            throw GANTrainingError.invalidConfig("generator family \(generator.family) with a \(discriminator.family) discriminator")
        }
        guard generator.resolution == discriminator.resolution else {
            throw GANTrainingError.invalidConfig("generator resolution \(generator.resolution) vs discriminator \(discriminator.resolution)")
        }
        guard batchSize > 0, discriminator.acceptsBatch(batchSize) else {
            throw GANTrainingError.invalidConfig("batch size \(batchSize) is not a multiple of the minibatch-stddev group size \(discriminator.minibatchStdGroupSize)")
        }
        guard learningRateG > 0, learningRateD > 0, (0..<1).contains(beta1), (0..<1).contains(beta2) else {
            throw GANTrainingError.invalidConfig("learning rates must be positive and betas in [0, 1)")
        }
        guard r1Gamma >= 0, r1Sigma > 0, r1Interval >= 1 else {
            throw GANTrainingError.invalidConfig("r1_gamma must be >= 0, r1_sigma positive and r1_interval >= 1")
        }
        guard ema.halfLifeImages >= 0, sampleCount > 0 else {
            throw GANTrainingError.invalidConfig("EMA half-life must be >= 0 and sample_count positive")
        }
    }
}

extension GANTrainingConfig: Codable {
    enum CodingKeys: String, CodingKey {
        case family, generatorConfig = "generator_config", discriminator, batchSize = "batch_size", loss
        case learningRateG = "lr_g", learningRateD = "lr_d", beta1, beta2, ema, r1Gamma = "r1_gamma", r1Sigma = "r1_sigma", r1Interval = "r1_interval"
        case randomizeNoise = "randomize_noise", seed, sampleCount = "sample_count"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let family = try c.decode(GeneratorFamily.self, forKey: .family)
        let json = try c.decode(String.self, forKey: .generatorConfig)
        generator = try GeneratorSpec.decode(family: family, configJSON: Data(json.utf8))
        discriminator = try c.decode(DiscriminatorConfig.self, forKey: .discriminator)
        batchSize = try c.decode(Int.self, forKey: .batchSize)
        loss = try c.decode(GANLoss.self, forKey: .loss)
        learningRateG = try c.decode(Float.self, forKey: .learningRateG)
        learningRateD = try c.decode(Float.self, forKey: .learningRateD)
        beta1 = try c.decode(Float.self, forKey: .beta1)
        beta2 = try c.decode(Float.self, forKey: .beta2)
        ema = try c.decode(GeneratorEMA.self, forKey: .ema)
        r1Gamma = try c.decodeIfPresent(Float.self, forKey: .r1Gamma) ?? 0
        r1Sigma = try c.decodeIfPresent(Float.self, forKey: .r1Sigma) ?? 0.01
        r1Interval = try c.decodeIfPresent(Int.self, forKey: .r1Interval) ?? 1
        randomizeNoise = try c.decode(Bool.self, forKey: .randomizeNoise)
        let seedText = try c.decode(String.self, forKey: .seed)
        guard let seed = UInt64(seedText) else {
            throw DecodingError.dataCorruptedError(forKey: .seed, in: c, debugDescription: "seed '\(seedText)' is not an unsigned 64-bit integer")
        }
        self.seed = seed
        sampleCount = try c.decode(Int.self, forKey: .sampleCount)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(generator.family, forKey: .family)
        try c.encode(String(decoding: try generator.configJSON(), as: UTF8.self), forKey: .generatorConfig)
        try c.encode(discriminator, forKey: .discriminator)
        try c.encode(batchSize, forKey: .batchSize)
        try c.encode(loss, forKey: .loss)
        try c.encode(learningRateG, forKey: .learningRateG)
        try c.encode(learningRateD, forKey: .learningRateD)
        try c.encode(beta1, forKey: .beta1)
        try c.encode(beta2, forKey: .beta2)
        try c.encode(ema, forKey: .ema)
        try c.encode(r1Gamma, forKey: .r1Gamma)
        try c.encode(r1Sigma, forKey: .r1Sigma)
        try c.encode(r1Interval, forKey: .r1Interval)
        try c.encode(randomizeNoise, forKey: .randomizeNoise)
        try c.encode(String(seed), forKey: .seed)
        try c.encode(sampleCount, forKey: .sampleCount)
    }
}
