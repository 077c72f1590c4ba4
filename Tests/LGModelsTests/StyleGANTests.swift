import Foundation
import XCTest
import LGModelIO
import LGTensor
import LGModels

final class StyleGANTests: XCTestCase {
    func runFixture(_ name: String, featureCount: Int) throws {
        let config = try StyleGANConfig.decode(Fixture.json(name), family: .stylegan)
        let g = try StyleGANGenerator(config: config, stateDict: Fixture.stateDict(name))
        let io = try Fixture.io(name)
        let z = Variable(io["z"]!.floatTensor())
        let (w, wp) = GradMode.withoutGradients { () -> (Tensor, Tensor) in
            let w = g.mapping(z)
            return (w.value, g.truncation(w).value)
        }
        var worst = assertClose(w, io["w"]!.floatTensor(), "w")
        worst = max(worst, assertClose(wp, io["wp"]!.floatTensor(), "wp"))
        let viaStrategy = GradMode.withoutGradients { g.latent(fromZ: z, strategy: .truncWP).value }
        XCTAssertEqual(viaStrategy, wp)
        // Synthesis from the reference's wp, so each stage is checked on its own.
        let out = g.generate(io["wp"]!.floatTensor())
        worst = max(worst, assertClose(out.image, io["image"]!.floatTensor(), "image"))
        let expected = Fixture.features(io)
        XCTAssertEqual(expected.count, featureCount)
        XCTAssertEqual(out.features.count, featureCount)
        XCTAssertEqual(g.featureChannels, expected.map { $0.shape[1] })
        for (i, (a, b)) in zip(out.features, expected).enumerated() {
            worst = max(worst, assertClose(a, b, "feature \(i)"))
        }
        print("\(name) fixture max abs error: \(worst)")
    }

    func testFixtureR32UpsampleConvPath() throws { try runFixture("stylegan_r32", featureCount: 4) }

    func testFixtureR128FusedTransposedConvPath() throws { try runFixture("stylegan_r128", featureCount: 6) }

    static func smallConfig(fused: FusedScale = .always) -> StyleGANConfig {
        var c = StyleGANConfig(family: .stylegan, resolution: 8)
        c.zSpaceDim = 8; c.wSpaceDim = 8; c.numMappingLayers = 2
        c.fmapsBase = 64; c.fmapsMax = 8; c.fusedScale = fused; c.truncationLayers = 2
        return c
    }

    func testGradientWithRespectToWP() throws {
        for fused in [FusedScale.never, .always] {
            let g = try StyleGANGenerator(config: StyleGANTests.smallConfig(fused: fused))
            g.randomizeWeights(seed: 5)
            var rng = SeededRandom(seed: 6)
            let wp = rng.normalTensor([2, g.numLayers, 8])
            // Instance norm on 4x4 maps is strongly curved: small steps.
            checkLatentGradient(wp, elements: [1, 9, 20, 47, 60], eps: 1e-3) { v in
                let r = g.synthesis(v, features: true)
                return Variable.concat([r.image.reshaped([2, -1]), r.features[0].reshaped([2, -1])], axis: 1)
            }
        }
    }

    func testGradientWithRespectToZThroughMapping() throws {
        let g = try StyleGANGenerator(config: StyleGANTests.smallConfig())
        g.randomizeWeights(seed: 8)
        var rng = SeededRandom(seed: 9)
        checkLatentGradient(rng.normalTensor([1, 8]), elements: [0, 3, 7], eps: 1e-3) { z in
            g.synthesize(g.latent(fromZ: z, strategy: .truncWP), features: false).image
        }
    }

    func testRandomizedNoiseIsSeededAndDiffers() throws {
        var c = StyleGANTests.smallConfig()
        c.randomizeNoise = true
        let g = try StyleGANGenerator(config: c)
        g.randomizeWeights(seed: 2)
        let wp = SeededRandom(seed: 3).normalTensorCopy([1, g.numLayers, 8])
        g.noiseRandom = SeededRandom(seed: 11)
        let a = g.generate(wp, features: false).image
        let b = g.generate(wp, features: false).image
        g.noiseRandom = SeededRandom(seed: 11)
        let a2 = g.generate(wp, features: false).image
        XCTAssertEqual(a, a2)
        XCTAssertNotEqual(a, b)
    }

    func testMismatchedCheckpoint() throws {
        let sd = try Fixture.stateDict("stylegan_r32")
        var c = try StyleGANConfig.decode(Fixture.json("stylegan_r32"), family: .stylegan)
        c.wSpaceDim = 32
        let g = try StyleGANGenerator(config: c)
        XCTAssertThrowsError(try g.load(sd)) { error in
            guard case let ModelError.shapeMismatch(key, expected, found, _) = error else {
                return XCTFail("unexpected error \(error)")
            }
            XCTAssertEqual(key, "mapping.dense2.fc.weight")
            XCTAssertEqual(expected, [32, 64])
            XCTAssertEqual(found, [64, 64])
        }
    }
}

extension SeededRandom {
    func normalTensorCopy(_ shape: [Int]) -> Tensor {
        var r = self
        return r.normalTensor(shape)
    }
}
