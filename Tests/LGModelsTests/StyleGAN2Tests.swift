import Foundation
import XCTest
import LGModelIO
import LGTensor
import LGModels

final class StyleGAN2Tests: XCTestCase {
    func testFixture() throws {
        let config = try StyleGANConfig.decode(Fixture.json("stylegan2_r32"), family: .stylegan2)
        let g = try StyleGAN2Generator(config: config, stateDict: Fixture.stateDict("stylegan2_r32"))
        let io = try Fixture.io("stylegan2_r32")
        let z = Variable(io["z"]!.floatTensor())
        let (w, wp, wpNoTrunc) = GradMode.withoutGradients { () -> (Tensor, Tensor, Tensor) in
            let w = g.mapping(z)
            return (w.value, g.truncation(w).value, g.latent(fromZ: z, strategy: .notruncWP).value)
        }
        var worst = assertClose(w, io["w"]!.floatTensor(), "w")
        worst = max(worst, assertClose(wp, io["wp"]!.floatTensor(), "wp"))
        worst = max(worst, assertClose(wpNoTrunc, io["wp_notrunc"]!.floatTensor(), "wp_notrunc"))
        let out = g.generate(io["wp"]!.floatTensor())
        worst = max(worst, assertClose(out.image, io["image"]!.floatTensor(), "image"))
        let expected = Fixture.features(io)
        XCTAssertEqual(expected.count, 7)
        XCTAssertEqual(out.features.count, 7)
        XCTAssertEqual(g.featureChannels, expected.map { $0.shape[1] })
        XCTAssertEqual(g.featureResolutions, expected.map { $0.shape[2] })
        for (i, (a, b)) in zip(out.features, expected).enumerated() {
            worst = max(worst, assertClose(a, b, "feature \(i)"))
        }
        let noTrunc = g.generate(io["wp_notrunc"]!.floatTensor(), features: false)
        worst = max(worst, assertClose(noTrunc.image, io["image_notrunc"]!.floatTensor(), "image_notrunc"))
        // End to end from z.
        let e2e = g.generate(GradMode.withoutGradients { g.latent(fromZ: z, strategy: .truncWP).value }, features: false)
        worst = max(worst, assertClose(e2e.image, io["image"]!.floatTensor(), "image from z"))
        print("stylegan2_r32 fixture max abs error: \(worst)")
    }

    static func small() throws -> StyleGAN2Generator {
        var c = StyleGANConfig(family: .stylegan2, resolution: 8)
        c.zSpaceDim = 8; c.wSpaceDim = 8; c.numMappingLayers = 2
        c.fmapsBase = 64; c.fmapsMax = 8; c.truncationLayers = 3
        let g = try StyleGAN2Generator(config: c)
        g.randomizeWeights(seed: 21)
        return g
    }

    func testGradientWithRespectToWP() throws {
        let g = try StyleGAN2Tests.small()
        var rng = SeededRandom(seed: 22)
        let wp = rng.normalTensor([2, g.numLayers, 8])
        XCTAssertEqual(g.numLayers, 4)
        checkLatentGradient(wp, elements: [0, 9, 17, 26, 40, 63]) { v in
            let r = g.synthesis(v, features: true)
            return Variable.concat([r.image.reshaped([2, -1]), r.features[1].reshaped([2, -1])], axis: 1)
        }
    }

    /// Without gradients the synthesis runs its one-pass modulation and
    /// demodulation kernels; they give the graph's values, with fixed and
    /// with randomised noise, for one sample and for a batch.
    func testWithoutGradientsEqualsTheGraph() throws {
        var c = StyleGANConfig(family: .stylegan2, resolution: 32)
        c.zSpaceDim = 16; c.wSpaceDim = 16; c.numMappingLayers = 2
        c.fmapsBase = 512; c.fmapsMax = 32; c.truncationLayers = 3
        for randomNoise in [false, true] {
            c.randomizeNoise = randomNoise
            let g = try StyleGAN2Generator(config: c)
            g.randomizeWeights(seed: 31)
            for n in [1, 3] {
                var rng = SeededRandom(seed: 32)
                let wp = rng.normalTensor([n, g.numLayers, 16])
                g.noiseRandom = SeededRandom(seed: 5)
                let fast = GradMode.withoutGradients { g.synthesis(Variable(wp), features: true) }
                g.noiseRandom = SeededRandom(seed: 5)
                let graph = g.synthesis(Variable(wp, requiresGrad: true), features: true)
                XCTAssertFalse(graph.image.isLeaf, "with wp requiring a gradient the graph runs")
                for (a, b) in zip([fast.image] + fast.features, [graph.image] + graph.features) {
                    XCTAssertEqual(a.shape, b.shape)
                    let scale = max(1, b.value.data.map(abs).max() ?? 0)
                    XCTAssertLessThan(a.value.maxAbsDifference(b.value), 1e-5 * scale, "noise random \(randomNoise), n \(n), \(b.shape)")
                }
            }
        }
    }

    func testGradientFlowsToZWAndParameters() throws {
        let g = try StyleGAN2Tests.small()
        g.requiresParameterGradients = true
        var rng = SeededRandom(seed: 23)
        let z = Variable(rng.normalTensor([1, 8]), requiresGrad: true)
        let w = g.mapping(z)
        let image = g.synthesis(g.truncation(w), features: false).image
        image.square().sum().backward()
        XCTAssertNotNil(z.grad)
        XCTAssertGreaterThan(z.grad!.maxAbs, 0)
        for key in ["mapping.dense0.fc.weight", "synthesis.layer1.weight", "synthesis.layer0.noise_strength",
                    "synthesis.output1.style.fc.weight", "synthesis.early_layer.const"] {
            XCTAssertNotNil(g.store[key].grad, key)
        }
        XCTAssertNil(g.store["truncation.w_avg"].grad)
    }

    func testLatentStrategies() throws {
        let g = try StyleGAN2Tests.small()
        var rng = SeededRandom(seed: 24)
        let (z, mixed) = g.sampleLatent(batch: 2, strategy: .notruncMixWP, using: &rng)
        XCTAssertEqual(z.shape, [2, 4, 8])
        XCTAssertEqual(mixed.shape, [2, 4, 8])
        // Layer 2 of sample 1 is mapping(z[1, 2]).
        let w12 = GradMode.withoutGradients {
            g.mapping(Variable(z.slice(axis: 0, 1..<2).slice(axis: 1, 2..<3).reshaped([1, 8]))).value
        }
        XCTAssertLessThan(mixed.value.slice(axis: 0, 1..<2).slice(axis: 1, 2..<3).reshaped([1, 8]).maxAbsDifference(w12), 1e-6)
        let (z2, trunc) = g.sampleLatent(batch: 2, strategy: .truncWP, using: &rng)
        XCTAssertEqual(z2.shape, [2, 8])
        let w = GradMode.withoutGradients { g.mapping(Variable(z2)).value }
        let avg = g.store["truncation.w_avg"].value
        for l in 0..<4 {
            let psi: Float = l < 3 ? 0.5 : 1
            let expected = avg.reshaped([1, 8]) + (w - avg.reshaped([1, 8])).scaled(psi)
            XCTAssertLessThan(trunc.value.slice(axis: 1, l..<(l + 1)).reshaped([2, 8]).maxAbsDifference(expected), 1e-5)
        }
    }

    func testCheckpointRoundTripKeepsLayout() throws {
        let sd = try Fixture.stateDict("stylegan2_r32")
        let config = try StyleGANConfig.decode(Fixture.json("stylegan2_r32"), family: .stylegan2)
        let g = try StyleGAN2Generator(config: config, stateDict: sd)
        let back = g.checkpointStateDict()
        for key in ["synthesis.layer1.weight", "synthesis.layer2.weight", "synthesis.output0.weight", "synthesis.layer0.noise_strength"] {
            XCTAssertEqual(back[key], sd.tensors[key], key)
        }
    }

    func testMissingKey() throws {
        var sd = try Fixture.stateDict("stylegan2_r32")
        sd.tensors["synthesis.layer3.style.bias"] = nil
        let config = try StyleGANConfig.decode(Fixture.json("stylegan2_r32"), family: .stylegan2)
        XCTAssertThrowsError(try StyleGAN2Generator(config: config, stateDict: sd)) { error in
            XCTAssertEqual(error as? ModelError,
                           .missingKey(key: "synthesis.layer3.style.bias", expectedShape: [64], source: sd.source))
        }
    }
}
