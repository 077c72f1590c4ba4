import XCTest
import LGGANTraining
import LGModels
import LGTensor

final class DiscriminatorTests: XCTestCase {
    func config(_ f: GeneratorFamily, _ res: Int, sn: Bool = true) -> DiscriminatorConfig {
        DiscriminatorConfig(family: f, resolution: res, fmapsBase: 8 * 16, fmapsMax: 8, spectralNorm: sn)
    }

    func testOutputShapesAndGradientsForEveryFamily() throws {
        for family in GeneratorFamily.allCases {
            for res in [8, 16, 32] {
                for sn in [true, false] {
                    let d = try makeDiscriminator(config(family, res, sn: sn))
                    d.initialize(seed: 3)
                    var rng = SeededRandom(seed: 5)
                    let x = Variable(rng.uniformTensor([4, 3, res, res], low: -1, high: 1), requiresGrad: true)
                    let out = d(x)
                    XCTAssertEqual(out.shape, [4, 1], "\(family) \(res)")
                    XCTAssertTrue(out.value.data.allSatisfy { $0.isFinite })
                    out.sum().backward()
                    XCTAssertNotNil(x.grad, "\(family) \(res): no input gradient")
                    XCTAssertGreaterThan(x.grad!.maxAbs, 0)
                    for (k, p) in d.namedParameters {
                        guard let g = p.grad else { XCTFail("\(family) \(res) sn=\(sn): no gradient for \(k)"); continue }
                        XCTAssertTrue(g.data.allSatisfy { $0.isFinite }, "\(k)")
                        XCTAssertGreaterThan(g.maxAbs, 0, "\(family) \(res) sn=\(sn): zero gradient for \(k)")
                    }
                }
            }
        }
    }

    func testGenforceKeys() throws {
        let d = try makeDiscriminator(config(.stylegan2, 16))
        let keys = Set(d.stateDict().keys)
        for k in ["input0.weight", "input0.bias", "layer0.weight", "layer1.weight", "skip_layer0.weight",
                  "layer4.weight", "layer5.weight", "layer6.weight", "layer6.bias", "layer0.weight_u"] {
            XCTAssertTrue(keys.contains(k), "missing \(k) in \(keys.sorted())")
        }
        XCTAssertFalse(keys.contains("skip_layer0.bias"))
        XCTAssertEqual(d.stateDict()["layer4.weight"]?.shape, [8, 9, 3, 3])   // + 1 minibatch-stddev channel
        let p = try makeDiscriminator(config(.pggan, 16))
        XCTAssertEqual(Set(p.stateDict().keys).filter { $0.hasSuffix(".weight") }.count, 8)   // input0 + 2 + 2 + conv + 2 dense
    }

    func testFrozenScoresGiveInputGradientsOnly() throws {
        let d = try makeDiscriminator(config(.stylegan, 16))
        d.initialize(seed: 1)
        var rng = SeededRandom(seed: 2)
        let x = Variable(rng.uniformTensor([4, 3, 16, 16], low: -1, high: 1), requiresGrad: true)
        let frozen = d.scores(x, trainable: false)
        XCTAssertEqual(frozen.value, d(Variable(x.value)).value)
        frozen.sum().backward()
        XCTAssertNotNil(x.grad)
        XCTAssertTrue(d.namedParameters.allSatisfy { $0.1.grad == nil })
    }

    func testMinibatchStddevFeedsGroupStatistics() throws {
        // Two images identical within each group (stride N/G) give a zero
        // stddev channel; the output then depends on the group statistic only
        // through that channel, so swapping samples across groups changes scores.
        let d = try makeDiscriminator(DiscriminatorConfig(family: .pggan, resolution: 8, fmapsBase: 64, fmapsMax: 8,
                                                          minibatchStdGroupSize: 2))
        d.initialize(seed: 4)
        var rng = SeededRandom(seed: 9)
        let a = rng.uniformTensor([1, 3, 8, 8], low: -1, high: 1), b = rng.uniformTensor([1, 3, 8, 8], low: -1, high: 1)
        // Groups are {0, 2} and {1, 3}.
        let same = Tensor.concat([a, b, a, b], axis: 0)
        let mixed = Tensor.concat([a, b, b, a], axis: 0)
        let s1 = GradMode.withoutGradients { d(Variable(same)).value }
        let s2 = GradMode.withoutGradients { d(Variable(mixed)).value }
        XCTAssertNotEqual(s1.data[0], s2.data[0])
        XCTAssertThrowsError(try GANTrainingConfig(generator: tinyConfig(.pggan).generator,
                                                   discriminator: tinyConfig(.pggan).discriminator,
                                                   batchSize: 6).validate())
    }
}
