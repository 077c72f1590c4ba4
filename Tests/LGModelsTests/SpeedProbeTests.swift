import XCTest
import Foundation
import LGTensor
import LGModels

final class SpeedProbeTests: XCTestCase {
    func time(_ what: String, _ body: () -> Void) {
        let t0 = Date()
        body()
        print("PERF \(what): \(String(format: "%.3f", Date().timeIntervalSince(t0))) s")
    }
    func testSpeedWhenLGPerfIsSet() throws {
        guard ProcessInfo.processInfo.environment["LG_PERF"] != nil else { return }
        let g2 = try StyleGAN2Generator(config: StyleGANConfig(family: .stylegan2, resolution: 256))
        g2.randomizeWeights(seed: 1)
        var rng = SeededRandom(seed: 1)
        let wp = GradMode.withoutGradients { g2.latent(fromZ: Variable(rng.normalTensor([1, 512])), strategy: .truncWP).value }
        time("stylegan2-256 synth+features") { _ = g2.generate(wp) }
        time("stylegan2-256 synth+features") { _ = g2.generate(wp) }
        time("stylegan2-256 fwd+bwd wrt wp") {
            let v = Variable(wp, requiresGrad: true)
            g2.synthesize(v, features: false).image.sum().backward()
        }
        let g1 = try StyleGANGenerator(config: StyleGANConfig(family: .stylegan, resolution: 256))
        g1.randomizeWeights(seed: 1)
        let wp1 = GradMode.withoutGradients { g1.latent(fromZ: Variable(rng.normalTensor([1, 512])), strategy: .truncWP).value }
        time("stylegan-256 synth+features") { _ = g1.generate(wp1) }
        let pg = try PGGANGenerator(config: PGGANConfig(resolution: 256))
        pg.randomizeWeights(seed: 1)
        let z = rng.normalTensor([1, 512])
        time("pggan-256 synth+features") { _ = pg.generate(z) }
        let p = try FaceParser()
        p.store.randomize(seed: 1)
        let img = rng.uniformTensor([1, 3, 256, 256], low: -1, high: 1)
        time("unet-512 predict") { _ = p.predict(img, labelResolution: 512) }
    }
}
