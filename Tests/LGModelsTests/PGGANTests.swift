import Foundation
import XCTest
import LGModelIO
import LGTensor
import LGModels

final class PGGANTests: XCTestCase {
    func testFixtureImageAndFeatures() throws {
        let config = try JSONDecoder().decode(PGGANConfig.self, from: Fixture.json("pggan_r32"))
        let g = try PGGANGenerator(config: config, stateDict: Fixture.stateDict("pggan_r32"))
        let io = try Fixture.io("pggan_r32")
        let z = io["z"]!.floatTensor()
        let out = g.generate(z)
        var worst = assertClose(out.image, io["image"]!.floatTensor(), "image")
        let expected = Fixture.features(io)
        XCTAssertEqual(expected.count, 4)
        XCTAssertEqual(out.features.count, expected.count)
        XCTAssertEqual(g.featureChannels, expected.map { $0.shape[1] })
        XCTAssertEqual(g.featureResolutions, expected.map { $0.shape[2] })
        for (i, (a, b)) in zip(out.features, expected).enumerated() {
            worst = max(worst, assertClose(a, b, "feature \(i)"))
        }
        print("PGGAN r32 fixture max abs error: \(worst)")
        // PGGAN takes z whatever the strategy.
        XCTAssertEqual(g.zShape(batch: 3, strategy: .notruncMixWP), [3, 64])
    }

    func testGradientWithRespectToZ() throws {
        for fused in [false, true] {
            let g = try PGGANGenerator(config: PGGANConfig(resolution: 8, zSpaceDim: 8, finalTanh: true,
                                                           fusedScale: fused, fmapsBase: 64, fmapsMax: 8))
            g.randomizeWeights(seed: 3)
            var rng = SeededRandom(seed: 4)
            let z = rng.normalTensor([2, 8])
            checkLatentGradient(z, elements: [0, 5, 11]) { v in
                let r = g.synthesize(v, features: true)
                return Variable.concat([r.image.reshaped([2, -1]), r.features[0].reshaped([2, -1])], axis: 1)
            }
        }
    }

    /// Without gradients the generator runs its fused inference kernels
    /// (pixel norm in two passes, scale + bias + LeakyReLU as the conv's
    /// epilogue); they give the graph's values.
    func testWithoutGradientsEqualsTheGraph() throws {
        for fused in [false, true] {
            let g = try PGGANGenerator(config: PGGANConfig(resolution: 32, zSpaceDim: 16, finalTanh: true,
                                                           fusedScale: fused, fmapsBase: 512, fmapsMax: 32))
            g.randomizeWeights(seed: 7)
            var rng = SeededRandom(seed: 8)
            let z = rng.normalTensor([2, 16])
            let fast = GradMode.withoutGradients { g.synthesize(Variable(z), features: true) }
            let graph = g.synthesize(Variable(z, requiresGrad: true), features: true)
            XCTAssertFalse(graph.image.isLeaf, "with z requiring a gradient the graph runs")
            XCTAssertEqual(fast.features.count, graph.features.count)
            for (a, b) in zip([fast.image] + fast.features, [graph.image] + graph.features) {
                XCTAssertEqual(a.shape, b.shape)
                let scale = max(1, b.value.data.map(abs).max() ?? 0)
                XCTAssertLessThan(a.value.maxAbsDifference(b.value), 1e-5 * scale, "fused \(fused), shape \(b.shape)")
            }
        }
    }

    func testParameterGradientsWhenRequested() throws {
        let g = try PGGANGenerator(config: PGGANConfig(resolution: 8, zSpaceDim: 8, fmapsBase: 64, fmapsMax: 8))
        g.randomizeWeights(seed: 1)
        g.requiresParameterGradients = true
        var rng = SeededRandom(seed: 2)
        g.synthesize(Variable(rng.normalTensor([1, 8])), features: false).image.sum().backward()
        XCTAssertNotNil(g.store["layer1.conv.weight"].grad)
        XCTAssertNotNil(g.store["output1.wscale.bias"].grad)
    }

    func testMismatchedCheckpointNamesKeyAndShape() throws {
        let sd = try Fixture.stateDict("pggan_r32")
        // Wrong latent size: the first conv's shape does not match.
        let wrong = try PGGANGenerator(config: PGGANConfig(resolution: 32, zSpaceDim: 128, fmapsBase: 1024, fmapsMax: 64))
        XCTAssertThrowsError(try wrong.load(sd)) { error in
            guard case let ModelError.shapeMismatch(key, expected, found, _) = error else {
                return XCTFail("unexpected error \(error)")
            }
            XCTAssertEqual(key, "layer0.conv.weight")
            XCTAssertEqual(expected, [64, 128, 4, 4])
            XCTAssertEqual(found, [64, 64, 4, 4])
        }
        // Higher resolution: a block is missing.
        let bigger = try PGGANGenerator(config: PGGANConfig(resolution: 64, zSpaceDim: 64, fmapsBase: 1024, fmapsMax: 64))
        XCTAssertThrowsError(try bigger.load(sd)) { error in
            guard case let ModelError.missingKey(key, shape, _) = error else { return XCTFail("unexpected error \(error)") }
            XCTAssertEqual(key, "layer8.conv.weight")
            XCTAssertEqual(shape, [16, 32, 3, 3])
            XCTAssertTrue(String(describing: error).contains(key))
        }
    }

    func testConfigDefaultsFollowReference() throws {
        let c = try JSONDecoder().decode(PGGANConfig.self, from: Data(#"{"resolution": 256}"#.utf8))
        XCTAssertEqual(c.zSpaceDim, 512)
        XCTAssertEqual(c.fmapsBase, 16 << 10)
        XCTAssertFalse(c.fusedScale)
        XCTAssertThrowsError(try PGGANGenerator(config: PGGANConfig(resolution: 48)))
    }
}
