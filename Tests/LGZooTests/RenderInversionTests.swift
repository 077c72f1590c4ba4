import LGDomains
import LGModels
import LGSemantics
import LGTensor
import XCTest
@testable import LGZoo

final class RenderInversionTests: XCTestCase {
    /// A tiny zoo-shaped generator (16 px) with seeded random weights.
    func tinyGenerator(_ family: GeneratorFamily) throws -> any Generator {
        let o = try GANJobOptions(parameters: ["family": family.rawValue, "domain": "toyface", "resolution": "16",
                                               "fmaps_max": "8", "latent_dim": "8", "mapping_layers": "1"])
        let g = try o.trainingConfig.generator.makeGenerator()
        if let s = g as? any StyleGenerator { s.randomizeWeights(seed: 1) }
        if let p = g as? PGGANGenerator { p.randomizeWeights(seed: 1) }
        return g
    }

    /// The generator's own images: every fit ends closer than the candidate
    /// it started from, in the space the generator synthesises from, and
    /// the same settings give the same latents.
    func testInversionImprovesOnTheBestCandidate() throws {
        for (family, space) in [(GeneratorFamily.stylegan2, InversionSpace.w), (.stylegan2, .wp), (.pggan, .w)] {
            let g = try tinyGenerator(family)
            var rng = SeededRandom(seed: 5)
            let (_, latent) = GradMode.withoutGradients { g.sampleLatent(batch: 3, strategy: .notruncWP, using: &rng) }
            let targets = g.generate(latent.value, features: false).image
            let s = InversionSettings(space: space, steps: 25, learningRate: 0.05, candidates: 8, batch: 2, seed: 2)
            let a = try RenderInversion.invert(targets, generator: g, settings: s)
            XCTAssertEqual(a.latents.shape, [3] + Array(latent.shape.dropFirst()), "\(family)")
            if let style = g as? any StyleGenerator, space == .w {
                // One w per image, made into wp as trunc-wp makes it.
                XCTAssertEqual(a.fitted.shape, [3, style.wDim])
                XCTAssertEqual(GradMode.withoutGradients { style.truncation(Variable(a.fitted)).value }, a.latents)
            } else {
                XCTAssertEqual(a.fitted, a.latents)
            }
            XCTAssertEqual(a.images.shape, targets.shape)
            for i in 0..<3 {
                XCTAssertLessThan(a.mse[i], a.startMSE[i], "\(family) target \(i)")
            }
            XCTAssertEqual(RenderInversion.perImageMSE(a.images, targets), a.mse)
            let b = try RenderInversion.invert(targets, generator: g, settings: s)
            XCTAssertEqual(a.latents, b.latents, "\(family) \(space): seeded, so repeatable")
        }
    }

    /// The closest candidate is the one with the least pixel MSE: with the
    /// candidates' own images as targets, each target finds an exact match.
    func testClosestCandidateIsExact() throws {
        let g = try tinyGenerator(.stylegan2)
        let s = InversionSettings(space: .wp, steps: 0, candidates: 5, batch: 2, seed: 9)
        var rng = SeededRandom(seed: 9)
        let (_, latents) = GradMode.withoutGradients { g.sampleLatent(batch: 5, strategy: .truncWP, using: &rng) }
        let images = g.generate(latents.value, features: false).image
        let picked = RenderInversion.closestCandidates(images.slice(axis: 0, 1..<4), generator: g, settings: s)
        // Equal up to rounding: the candidates are drawn in batches of 2, the targets in one of 5.
        let expected = latents.value.slice(axis: 0, 1..<4)
        XCTAssertEqual(picked.latents.shape, expected.shape)
        XCTAssertLessThan(zip(picked.latents.data, expected.data).map { abs($0 - $1) }.max()!, 1e-5)
        XCTAssertTrue(picked.mse.allSatisfy { $0 < 1e-10 }, "\(picked.mse)")
    }

    func testBadInputsAreNamed() throws {
        let g = try tinyGenerator(.stylegan2)
        XCTAssertThrowsError(try RenderInversion.invert(Tensor(zeros: [1, 3, 32, 32]), generator: g, settings: .init())) { e in
            XCTAssertTrue("\(e)".contains("(N, 3, 16, 16)"), "\(e)")
        }
        XCTAssertThrowsError(try InversionSettings(learningRate: 0).validate()) { e in
            XCTAssertTrue("\(e)".contains("learning rate"), "\(e)")
        }
    }

    /// End to end on a tiny generator, segmenter and LSE: the scores count
    /// every sample and class, the predictor-on-renders row is the
    /// predictor scored directly on the same renders, and a mismatched
    /// extractor is refused.
    func testRenderEvaluationScoresAgainstExactLabels() throws {
        let g = try tinyGenerator(.stylegan2)
        var s = SegmenterSettings(domain: "toyface")
        s.resolution = 16; s.featureScale = 16; s.steps = 1; s.batch = 2
        let seg = try SegmenterTrainer(settings: s)
        var rng = SeededRandom(seed: 4)
        let k = seg.domain.classNames.count
        let lse = try makeSemanticExtractor(ExtractorArch(type: .lse, nClass: k, dims: g.featureChannels), rng: &rng)
        let settings = InversionSettings(steps: 2, candidates: 4, batch: 2, seed: 1)
        let (r, pictures) = try RenderEvaluation.run(generatorName: "tiny", generator: g, predictor: seg.network,
                                                     domain: seg.domain, extractors: [("LSE", lse)], samples: 3,
                                                     settings: settings)
        XCTAssertEqual(r.samples, 3)
        XCTAssertEqual(r.latentSpace, "wp")
        XCTAssertEqual(r.predictorOnRenders.samples, 3)
        XCTAssertEqual(r.extractors.map(\.name), ["LSE"])
        XCTAssertEqual(r.extractors[0].vsTruth.samples, 3)
        XCTAssertEqual(r.extractors[0].vsTruth.classIoU.count, k - 1)
        XCTAssertTrue(r.psnr.isFinite && r.psnr >= r.startPSNR, "\(r.startPSNR) -> \(r.psnr)")
        XCTAssertEqual(pictures.extracted[0].shape, [3, 16, 16])
        XCTAssertEqual(pictures.reconstructions.shape, [3, 3, 16, 16])

        let (renders, truth) = seg.domain.batch(resolution: 16, seeds: DomainSeeds.heldOut(3))
        XCTAssertEqual(pictures.truth, truth)
        let labels = seg.network.labels(image: renders, labelResolution: 16)
        var direct = IoUAccumulator(numClasses: k)
        for i in 0..<3 { direct.add(labels.slice(i..<(i + 1)), truth.slice(i..<(i + 1))) }
        XCTAssertEqual(r.predictorOnRenders, direct.result)

        let wrong = try makeSemanticExtractor(ExtractorArch(type: .lse, nClass: 5, dims: g.featureChannels), rng: &rng)
        XCTAssertThrowsError(try RenderEvaluation.run(generatorName: "tiny", generator: g, predictor: seg.network,
                                                      domain: seg.domain, extractors: [("bad", wrong)], samples: 1,
                                                      settings: settings)) { e in
            XCTAssertTrue("\(e)".contains("5 classes"), "\(e)")
        }
    }
}
