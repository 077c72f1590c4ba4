import Foundation
import XCTest
import LGTensor
import LGModelIO
import LGModels
import LGSemantics
@testable import LGManipulation

final class SCSTests: XCTestCase {
    func testTinyExtractorTrains() throws {
        let m = try Fixture.models()
        print("LSE training CE: \(m.trainLoss.first) -> \(m.trainLoss.last)")
        XCTAssertLessThan(m.trainLoss.last, 0.7 * m.trainLoss.first)
    }

    /// SCS with the extractor (strategy z) lowers the CE and raises the
    /// pixel agreement with the target relative to the best initial draw.
    func testSCSExtractorImprovesAgreement() throws {
        let m = try Fixture.models()
        let target = try Fixture.extractorTarget(m, seed: 101)
        let sampler = SemanticConditionalSampler(generator: m.g, scorer: .extractor(m.se),
                                                 options: SCSOptions(nInit: 4, nIter: 30, learningRate: 0.05, space: .z))
        var rng = SeededRandom(seed: 1)
        var seen = 0
        let s = try sampler.sample(target: target, rng: &rng) { _ in seen += 1 }
        print("SCS z: agreement \(s.initialAgreement) -> \(s.finalAgreement), CE \(s.initialLoss) -> \(s.finalLoss)")
        XCTAssertEqual(seen, 30)
        XCTAssertEqual(s.z.shape, [1, m.g.zDim])
        XCTAssertEqual(s.wp.shape, [1, m.g.numLayers, m.g.wDim])
        XCTAssertEqual(s.image.shape, [1, 3, 32, 32])
        XCTAssertEqual(s.labels.shape, [1, 32, 32])
        XCTAssertLessThan(s.finalLoss, s.initialLoss)
        XCTAssertGreaterThan(s.finalAgreement, s.initialAgreement)
        // wp is mapping(z) repeated: every layer equal.
        let l0 = s.wp.slice(axis: 1, 0..<1), l5 = s.wp.slice(axis: 1, 5..<6)
        XCTAssertEqual(l0.maxAbsDifference(l5), 0)
        // Same seed, same sample.
        var rng2 = SeededRandom(seed: 1)
        let again = try sampler.sample(target: target, rng: &rng2)
        XCTAssertEqual(again.z, s.z)
    }

    func testSCSMixWP() throws {
        let m = try Fixture.models()
        let target = try Fixture.extractorTarget(m, seed: 102)
        let sampler = SemanticConditionalSampler(generator: m.g, scorer: .extractor(m.se),
                                                 options: SCSOptions(nInit: 3, nIter: 20, learningRate: 0.05, space: .mixwp))
        var rng = SeededRandom(seed: 2)
        let s = try sampler.sample(target: target, rng: &rng)
        print("SCS mixwp: agreement \(s.initialAgreement) -> \(s.finalAgreement), CE \(s.initialLoss) -> \(s.finalLoss)")
        XCTAssertEqual(s.z.shape, [1, m.g.numLayers, m.g.zDim])
        XCTAssertLessThan(s.finalLoss, s.initialLoss)
        XCTAssertGreaterThanOrEqual(s.finalAgreement, s.initialAgreement)
        // Layers were optimised separately: their z differ now.
        XCTAssertGreaterThan(s.z.slice(axis: 1, 0..<1).maxAbsDifference(s.z.slice(axis: 1, 7..<8)), 0)
    }

    /// The regulariser matches the reference formula for both spaces.
    func testRegularizerFormula() throws {
        let m = try Fixture.models()
        var rng = SeededRandom(seed: 4)
        let z0 = rng.normalTensor([1, m.g.zDim])
        for space in [LatentSpace.z, .mixwp] {
            let opt = try LatentOptimizer(generator: m.g, space: space, initial: z0, learningRate: 0.1)
            let shifted = opt.latent.value.adding(Tensor(repeating: 0.5, shape: opt.latent.shape))
            let reg = opt.regularizer(Variable(shifted)).value.scalar
            let rows: Float = space == .z ? 1 : Float(m.g.numLayers)
            let expected = 1e-3 * Float(shifted.count) * 0.25 + 1e-3 * shifted.data.map { $0 * $0 }.reduce(0, +) / rows
            XCTAssertEqual(reg, expected, accuracy: 1e-4 * expected, "\(space)")
        }
    }

    /// The baseline (predictor on the image): gradients reach z through the
    /// UNet and match finite differences; the CE goes down.
    func testBaselineGradientsFlowThroughPredictor() throws {
        let m = try Fixture.models()
        var rng = SeededRandom(seed: 7)
        let z0 = rng.normalTensor([1, m.g.zDim])
        // Target: background class 8 with a block of class 14.
        var target = Labels(shape: [1, 32, 32], data: [Int32](repeating: 8, count: 1024))
        for y in 8..<24 { for x in 8..<24 { target.data[y * 32 + x] = 14 } }
        let scorer = SemanticScorer.predictor(m.p)
        let opt = try LatentOptimizer(generator: m.g, space: .z, initial: z0, learningRate: 0.05)
        func ce(_ z: Tensor) throws -> Float {
            try GradMode.withoutGradients {
                try scorer.evaluate(m.g, wp: opt.wp(of: Variable(z)), size: 32).logits.crossEntropy(target).value.scalar
            }
        }
        let (zv, wp) = opt.standardForm()
        let loss = try scorer.evaluate(m.g, wp: wp, size: 32).logits.crossEntropy(target)
        loss.backward()
        let grad = try XCTUnwrap(opt.latent.grad)
        XCTAssertGreaterThan(grad.maxAbs, 0)
        XCTAssertTrue(grad.data.allSatisfy { $0.isFinite })
        _ = zv
        // Directional derivative along the gradient vs central differences.
        let norm = grad.data.map { $0 * $0 }.reduce(0, +).squareRoot()
        let dir = grad.scaled(1 / norm)
        let eps: Float = 1e-2
        let fd = (try ce(z0 + dir.scaled(eps)) - ce(z0 - dir.scaled(eps))) / (2 * eps)
        print("baseline: analytic directional derivative \(norm), finite difference \(fd)")
        XCTAssertEqual(fd, norm, accuracy: 0.1 * norm)
        // A short run lowers the CE.
        let sampler = SemanticConditionalSampler(generator: m.g, scorer: scorer,
                                                 options: SCSOptions(nInit: 2, nIter: 10, learningRate: 0.05))
        let s = try sampler.sample(target: target, rng: &rng)
        print("SCS baseline: agreement \(s.initialAgreement) -> \(s.finalAgreement), CE \(s.initialLoss) -> \(s.finalLoss)")
        XCTAssertLessThan(s.finalLoss, s.initialLoss)
        // The predictor's own parameters keep no gradient.
        XCTAssertTrue(m.p.parameters.allSatisfy { $0.grad == nil })
    }

    func testBadTargetsAndOptions() throws {
        let m = try Fixture.models()
        let sampler = SemanticConditionalSampler(generator: m.g, scorer: .extractor(m.se),
                                                 options: SCSOptions(nInit: 1, nIter: 1))
        var rng = SeededRandom(seed: 0)
        XCTAssertThrowsError(try sampler.sample(target: Labels(zeros: [1, 16, 32]), rng: &rng)) { e in
            XCTAssertTrue("\(e)".contains("square"), "\(e)")
        }
        XCTAssertThrowsError(try sampler.sample(target: Labels(shape: [1, 2, 2], data: [0, 1, 2, 40]), rng: &rng)) { e in
            XCTAssertEqual(e as? ManipulationError, .labelOutOfRange(what: "target label map", label: 40, nClasses: 15))
        }
        sampler.options.space = .wp
        XCTAssertThrowsError(try sampler.sample(target: Labels(zeros: [1, 4, 4]), rng: &rng)) { e in
            XCTAssertTrue("\(e)".contains("'z' or 'mixwp'"), "\(e)")
        }
        sampler.options = SCSOptions(nInit: 0)
        XCTAssertThrowsError(try sampler.sample(target: Labels(zeros: [1, 4, 4]), rng: &rng))
    }

    /// The job writes latents per target and repeat, sheets and metrics.
    func testSCSJobWritesArtifacts() throws {
        let m = try Fixture.models()
        let out = try Fixture.tempDir("scs")
        defer { try? FileManager.default.removeItem(at: out) }
        var events = 0
        let params = SCSJobParameters(options: SCSOptions(nInit: 2, nIter: 3, learningRate: 0.05), repeats: 2, seed: 5,
                                      targets: .generated(count: 2, seed: 42), labelResolution: 32)
        let r = try SCSJob.run(generator: m.g, predictor: m.p, method: .extractor(m.se, name: "tiny_LSE"),
                               parameters: params, outputDirectory: out) { _ in events += 1 }
        XCTAssertEqual(r.rows.count, 4)
        XCTAssertEqual(r.summary.samples, 4)
        XCTAssertEqual(events, 4 * 3 + 4)
        XCTAssertTrue(r.summary.mIoU.isFinite)
        for t in 0..<2 {
            for rep in 0..<2 {
                let z = try NPY.read(out.appendingPathComponent(String(format: "z_t%03d_r%02d.npy", t, rep)))
                XCTAssertEqual(z.shape, [1, m.g.zDim])
                let wp = try NPY.read(out.appendingPathComponent(String(format: "wp_t%03d_r%02d.npy", t, rep)))
                XCTAssertEqual(wp.shape, [1, m.g.numLayers, m.g.wDim])
            }
            let sheet = try PNG.decode([UInt8](Data(contentsOf: out.appendingPathComponent(String(format: "sheet_t%03d.png", t)))))
            XCTAssertEqual(sheet.width, 3 * 32 + 4 * 2)
            XCTAssertEqual(sheet.height, 2 * 32 + 3 * 2)
        }
        let targets = try NPY.readRaw(out.appendingPathComponent("targets.npy"))
        XCTAssertEqual(targets.shape, [2, 32, 32])
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("target_z.npy").path))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("metrics.json"))) as? [String: Any]
        XCTAssertEqual((json?["rows"] as? [Any])?.count, 4)

        // User targets from PNG; the baseline method.
        let target = try Fixture.extractorTarget(m, seed: 9)
        let png = out.appendingPathComponent("user_target.png")
        try ManipulationFiles.writeLabelMap(target, nClasses: 15, to: png)
        let out2 = out.appendingPathComponent("baseline")
        let r2 = try SCSJob.run(generator: m.g, predictor: m.p, method: .baseline,
                                parameters: SCSJobParameters(options: SCSOptions(nInit: 1, nIter: 2), repeats: 1,
                                                             targets: .files([png]), labelResolution: 32),
                                outputDirectory: out2)
        XCTAssertEqual(r2.summary.method, "baseline")
        let stored = try NPY.readRaw(out2.appendingPathComponent("targets.npy"))
        XCTAssertEqual(stored.shape, [1, 32, 32])

        // A target PNG of the wrong size is refused with a clear message.
        let small = out.appendingPathComponent("small.png")
        try ManipulationFiles.writeLabelMap(Labels(zeros: [1, 16, 16]), nClasses: 15, to: small)
        XCTAssertThrowsError(try SCSJob.run(generator: m.g, predictor: m.p, method: .baseline,
                                            parameters: SCSJobParameters(targets: .files([small]), labelResolution: 32),
                                            outputDirectory: out.appendingPathComponent("bad"))) { e in
            XCTAssertTrue("\(e)".contains("16x16") && "\(e)".contains("32x32"), "\(e)")
        }
    }
}
