import Foundation
import XCTest
import LGGANTraining
import LGModels
import LGTensor

/// Recipe experiments, skipped unless LG_GAN_EXPERIMENT=1. Settings from the
/// environment: LG_FAMILY, LG_RES, LG_FMAPS, LG_STEPS, LG_BATCH, LG_LOSS,
/// LG_LR_G, LG_LR_D, LG_BETA1, LG_SN, LG_OUT (sample sheets).
final class ExperimentTests: XCTestCase {
    func testRecipeExperiment() throws {
        let env = ProcessInfo.processInfo.environment
        try XCTSkipUnless(env["LG_GAN_EXPERIMENT"] == "1", "set LG_GAN_EXPERIMENT=1 to run")
        let family = GeneratorFamily(rawValue: env["LG_FAMILY"] ?? "stylegan2")!
        let res = Int(env["LG_RES"] ?? "16")!, steps = Int(env["LG_STEPS"] ?? "300")!
        var config = GANTrainingConfig.small(family: family, resolution: res, fmapsMax: Int(env["LG_FMAPS"] ?? "16")!,
                                             latentDim: Int(env["LG_ZDIM"] ?? "16")!, mappingLayers: 2,
                                             batchSize: Int(env["LG_BATCH"] ?? "16")!, seed: UInt64(env["LG_SEED"] ?? "3")!)
        config.loss = GANLoss(rawValue: env["LG_LOSS"] ?? "hinge")!
        config.learningRateG = Float(env["LG_LR_G"] ?? "0.002")!
        config.learningRateD = Float(env["LG_LR_D"] ?? "0.002")!
        config.beta1 = Float(env["LG_BETA1"] ?? "0")!
        config.discriminator.spectralNorm = (env["LG_SN"] ?? "1") == "1"
        config.r1Gamma = env["LG_R1"].map { Float($0)! } ?? config.r1Gamma
        config.r1Sigma = Float(env["LG_R1_SIGMA"] ?? "0.01")!
        config.sampleCount = 64
        config.ema = GeneratorEMA(halfLifeImages: 500, rampup: 0.1)
        let source = PaletteSquareSource(resolution: res)
        let t = try GANTrainer(config: config, source: source)
        var rng = SeededRandom(seed: 99)
        let data = channelStats(source.batch(size: 256, rng: &rng))
        func dist() -> Float {
            let s = channelStats(t.sampleImages())
            var d: Float = 0
            for c in 0..<3 { d += abs(s.mean[c] - data.mean[c]) + abs(s.std[c] - data.std[c]) }
            return d
        }
        print("start dist \(dist())")
        let out = env["LG_OUT"].map { URL(fileURLWithPath: $0) }
        try t.train(until: steps, reportEvery: max(1, steps / 6), sampleEvery: out == nil ? 0 : max(1, steps / 3),
                    sampleDirectory: out) { p in
            print("step \(p.step) D \(p.dLoss) G \(p.gLoss) \(Int(p.imagesPerSecond)) img/s dist \(dist()) mean \(channelStats(t.sampleImages()).mean) std \(channelStats(t.sampleImages()).std)")
            return true
        }
    }
}
