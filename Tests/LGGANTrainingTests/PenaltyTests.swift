import XCTest
import LGGANTraining
import LGModels
import LGTensor

final class PenaltyTests: XCTestCase {
    /// The finite-difference R1 estimate, averaged over many directions,
    /// matches gamma/2 * mean ||grad_x D(x)||^2 computed by backprop.
    func testFiniteDifferenceR1MatchesTheGradientNorm() throws {
        for family in GeneratorFamily.allCases {
            let d = try makeDiscriminator(DiscriminatorConfig(family: family, resolution: 8, fmapsBase: 64, fmapsMax: 8,
                                                              minibatchStdGroupSize: 0, spectralNorm: false))
            d.initialize(seed: 2)
            var rng = SeededRandom(seed: 3)
            let x = rng.uniformTensor([4, 3, 8, 8], low: -1, high: 1)
            let xv = Variable(x, requiresGrad: true)
            d.scores(xv, trainable: false).sum().backward()
            let g = xv.grad!
            let exact = Double(g.data.reduce(0) { $0 + $1 * $1 }) / 4 / 2      // gamma 1: 1/2 mean ||grad||^2
            let sigma: Float = 0.01
            let base = GradMode.withoutGradients { d(Variable(x)) }
            var estimate: Double = 0
            let trials = 400
            for _ in 0..<trials {
                let p = GradMode.withoutGradients { d(Variable(x.adding(rng.normalTensor(x.shape, std: sigma)))) }
                estimate += Double(FiniteDifferenceR1.penalty(real: base, perturbed: p, gamma: 1, sigma: sigma).value.scalar)
            }
            estimate /= Double(trials)
            XCTAssertEqual(estimate, exact, accuracy: 0.15 * exact, "\(family)")
        }
    }

    func testLossesAtKnownScores() {
        let real = Variable(Tensor(shape: [2, 1], data: [2, 0]))
        let fake = Variable(Tensor(shape: [2, 1], data: [-2, 0.5]))
        // hinge: mean(relu(1 - [2, 0])) = 0.5; mean(relu(1 + [-2, 0.5])) = 0.75.
        XCTAssertEqual(GANLoss.hinge.discriminatorLoss(real: real, fake: fake).value.scalar, 1.25, accuracy: 1e-6)
        XCTAssertEqual(GANLoss.hinge.generatorLoss(fake: fake).value.scalar, 0.75, accuracy: 1e-6)
        let sp = { (x: Float) in Float(log1p(exp(Double(x)))) }
        XCTAssertEqual(GANLoss.nonSaturating.discriminatorLoss(real: real, fake: fake).value.scalar,
                       (sp(-2) + sp(0)) / 2 + (sp(-2) + sp(0.5)) / 2, accuracy: 1e-5)
        XCTAssertEqual(GANLoss.nonSaturating.generatorLoss(fake: fake).value.scalar, (sp(2) + sp(-0.5)) / 2, accuracy: 1e-5)
    }

    func testEMABetaSchedule() {
        let ema = GeneratorEMA(halfLifeImages: 10_000, rampup: 0.05)
        XCTAssertEqual(ema.beta(batch: 16, imagesSeen: 0), 0)
        // After 1000 images the ramped half-life is 50 images.
        XCTAssertEqual(ema.beta(batch: 16, imagesSeen: 1000), Float(pow(0.5, 16.0 / 50)), accuracy: 1e-6)
        XCTAssertEqual(GeneratorEMA(halfLifeImages: 10_000, rampup: nil).beta(batch: 16, imagesSeen: 16),
                       Float(pow(0.5, 16.0 / 10_000)), accuracy: 1e-7)
    }
}
