import Foundation
import LGTensor
import LGModelIO
import LGModels

/// What one training step measured.
public struct GANStepResult: Sendable, Equatable {
    public var dLoss: Float
    public var gLoss: Float
    /// The finite-difference R1 penalty (0 when off).
    public var r1Penalty: Float
    public var seconds: Double
}

/// A progress report of `GANTrainer.train`.
public struct GANProgress: Sendable {
    public var step: Int
    public var totalSteps: Int
    public var dLoss: Float
    public var gLoss: Float
    public var imagesPerSecond: Double
}

/// Trains one GAN: the generator G, its moving average G_ema, the
/// discriminator D, an Adam optimiser for each network, the run's random
/// stream and the step counter. Every step is one D update then one G update
/// on `config.batchSize` images; checkpoints resume bit-exactly.
public final class GANTrainer {
    public let config: GANTrainingConfig
    public let source: any TrainingImageSource
    /// The generator being trained (noise drawn per sample for StyleGANs).
    public let generator: any Generator
    /// The moving average of G's weights: what samples and exports use.
    public let generatorEMA: any Generator
    public let discriminator: any Discriminator
    public let optimizerG: Adam
    public let optimizerD: Adam
    /// The run's random stream (real batches, latents).
    public internal(set) var rng: SeededRandom
    public internal(set) var completedSteps: Int = 0
    public internal(set) var imagesSeen: Int = 0
    public internal(set) var lastDLoss: Float = .nan
    public internal(set) var lastGLoss: Float = .nan
    /// The fixed latents of the sample sheet (sampleCount, zDim).
    public let sampleLatents: Tensor

    /// A new run: networks initialised from `config.seed`.
    public convenience init(config: GANTrainingConfig, source: any TrainingImageSource) throws {
        try self.init(config: config, source: source, restoring: nil)
    }

    init(config: GANTrainingConfig, source: any TrainingImageSource, restoring saved: LoadedCheckpoint?) throws {
        try config.validate()
        guard source.resolution == config.generator.resolution else {
            throw GANTrainingError.resolutionMismatch(source: source.resolution, model: config.generator.resolution)
        }
        self.config = config
        self.source = source
        let trainSpec = config.generator.withRandomizedNoise(config.randomizeNoise)
        generator = try trainSpec.makeGenerator()
        generator.requiresParameterGradients = true
        generatorEMA = try config.generator.withRandomizedNoise(false).makeGenerator()
        discriminator = try makeDiscriminator(config.discriminator)
        let seed = config.seed
        if let saved {
            try saved.restoreNetworks(generator: generator, generatorEMA: generatorEMA, discriminator: discriminator)
        } else {
            GeneratorTraining.initialize(generator, seed: RandomStreams.seed(seed, "G"))
            GeneratorTraining.initialize(generatorEMA, seed: RandomStreams.seed(seed, "G"))
            discriminator.initialize(seed: RandomStreams.seed(seed, "D"))
        }
        // Optimisers after the weights are in place: they hold the variables.
        optimizerG = Adam([ParameterGroup(generator.store.namedParameters.map(\.1), learningRate: config.learningRateG)],
                          beta1: config.beta1, beta2: config.beta2, eps: 1e-8)
        optimizerD = Adam([ParameterGroup(discriminator.store.namedParameters.map(\.1), learningRate: config.learningRateD)],
                          beta1: config.beta1, beta2: config.beta2, eps: 1e-8)
        var sampleRandom = RandomStreams.make(seed, "samples")
        sampleLatents = sampleRandom.normalTensor([config.sampleCount, config.generator.zDim])
        rng = RandomStreams.make(seed, "train")
        GeneratorNoise.set(generator, RandomStreams.make(seed, "noise"))
        if let saved {
            try saved.restoreState(into: self)
        }
    }

    /// One discriminator update and one generator update. Returns the losses
    /// (D: on the batch before its update; G: likewise) and the wall time.
    @discardableResult
    public func step() -> GANStepResult {
        let start = Date()
        let b = config.batchSize, zDim = config.generator.zDim
        // Discriminator.
        discriminator.updateSpectralNorm()
        let reals = source.batch(size: b, rng: &rng)
        precondition(reals.shape == [b, 3, source.resolution, source.resolution],
                     "image source returned \(reals.shape), expected \([b, 3, source.resolution, source.resolution])")
        let z1 = rng.normalTensor([b, zDim])
        // The generator's weights change every step: keep their transforms out of the cache.
        let fakes = TransformedWeightCache.withoutCaching {
            GradMode.withoutGradients { GeneratorTraining.forward(generator, z: Variable(z1)).image.value }
        }
        optimizerD.zeroGrad()
        let realScores = discriminator(Variable(reals))
        let dLoss = config.loss.discriminatorLoss(real: realScores, fake: discriminator(Variable(fakes)))
        var r1: Float = 0
        if config.r1Gamma > 0 && completedSteps % config.r1Interval == 0 {
            let perturbed = reals.adding(rng.normalTensor(reals.shape, std: config.r1Sigma))
            let penalty = FiniteDifferenceR1.penalty(real: realScores, perturbed: discriminator(Variable(perturbed)),
                                                     gamma: config.r1Gamma * Float(config.r1Interval), sigma: config.r1Sigma)
            r1 = penalty.value.scalar
            (dLoss + penalty).backward()
        } else {
            dLoss.backward()
        }
        optimizerD.step()
        // Generator.
        let z2 = rng.normalTensor([b, zDim])
        optimizerG.zeroGrad()
        let (images, w) = GeneratorTraining.forward(generator, z: Variable(z2))
        let gLoss = config.loss.generatorLoss(fake: discriminator.scores(images, trainable: false))
        gLoss.backward()
        optimizerG.step()
        if let w { GeneratorTraining.updateWAverage(generator, w: w) }
        imagesSeen += b
        completedSteps += 1
        GeneratorEMA.update(generatorEMA.store, from: generator.store,
                            beta: config.ema.beta(batch: b, imagesSeen: imagesSeen))
        lastDLoss = dLoss.value.scalar
        lastGLoss = gLoss.value.scalar
        return GANStepResult(dLoss: lastDLoss, gLoss: lastGLoss, r1Penalty: r1, seconds: Date().timeIntervalSince(start))
    }

    /// Steps until `totalSteps` are completed. Every `reportEvery` steps (and
    /// at the end) `progress` gets the step, the losses and the throughput
    /// over the steps since the last report; returning false stops early.
    /// With `sampleEvery` > 0 and `sampleDirectory`, a sheet
    /// `samples_<step>.png` is written every `sampleEvery` steps; with
    /// `checkpointEvery` > 0 and `checkpointURL`, a checkpoint likewise.
    public func train(until totalSteps: Int, reportEvery: Int = 50,
                      sampleEvery: Int = 0, sampleDirectory: URL? = nil,
                      checkpointEvery: Int = 0, checkpointURL: URL? = nil,
                      progress: ((GANProgress) -> Bool)? = nil) throws {
        var windowStart = Date(), windowImages = 0
        while completedSteps < totalSteps {
            step()
            windowImages += config.batchSize
            if sampleEvery > 0, let dir = sampleDirectory, completedSteps % sampleEvery == 0 {
                try writeSampleSheet(to: dir.appendingPathComponent(String(format: "samples_%07d.png", completedSteps)))
            }
            if checkpointEvery > 0, let url = checkpointURL, completedSteps % checkpointEvery == 0 {
                try saveCheckpoint(to: url)
            }
            if let progress, completedSteps % max(1, reportEvery) == 0 || completedSteps == totalSteps {
                let dt = Date().timeIntervalSince(windowStart)
                let report = GANProgress(step: completedSteps, totalSteps: totalSteps, dLoss: lastDLoss, gLoss: lastGLoss,
                                         imagesPerSecond: dt > 0 ? Double(windowImages) / dt : 0)
                windowStart = Date(); windowImages = 0
                if !progress(report) { return }
            }
        }
    }

    /// G_ema's images (N, 3, R, R) for z (N, zDim), without truncation.
    public func generate(z: Tensor) -> Tensor {
        GradMode.withoutGradients { GeneratorTraining.forward(generatorEMA, z: Variable(z)).image.value }
    }

    /// G_ema's images for the fixed sample latents.
    public func sampleImages() -> Tensor { generate(z: sampleLatents) }

    /// Writes the sample images as a PNG grid (about square).
    public func writeSampleSheet(to url: URL) throws {
        let images = sampleImages()
        let columns = Int(Double(images.shape[0]).squareRoot().rounded(.up))
        let png = try ImageSheet.grid(images: images, columns: columns)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(png).write(to: url, options: .atomic)
        } catch {
            throw GANTrainingError.writeFailed(path: url.path, reason: "\(error)")
        }
    }

    /// G_ema's weights under genforce's keys and layouts: loads with
    /// `PGGANGenerator(config:stateDict:)`, `StyleGANGenerator(...)` or
    /// `StyleGAN2Generator(...)` and `exportedGeneratorConfig`.
    public func exportGenerator() -> StateDict {
        StateDict(generatorEMA.checkpointStateDict(), source: "G_ema (step \(completedSteps))")
    }

    /// The config the exported generator loads with (fixed noise).
    public var exportedGeneratorConfig: GeneratorSpec { config.generator.withRandomizedNoise(false) }
}

/// The per-sample noise stream of the StyleGAN generators.
enum GeneratorNoise {
    static func get(_ g: any Generator) -> SeededRandom? {
        if let s = g as? StyleGANGenerator { return s.noiseRandom }
        if let s = g as? StyleGAN2Generator { return s.noiseRandom }
        return nil
    }

    static func set(_ g: any Generator, _ r: SeededRandom) {
        if let s = g as? StyleGANGenerator { s.noiseRandom = r }
        if let s = g as? StyleGAN2Generator { s.noiseRandom = r }
    }
}
