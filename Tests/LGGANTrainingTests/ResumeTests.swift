import XCTest
import LGGANTraining
import LGModels
import LGModelIO
import LGTensor

final class ResumeTests: XCTestCase {
    func allTensors(_ t: GANTrainer) -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (k, v) in t.generator.store.checkpointTensors() { out["G/" + k] = v }
        for (k, v) in t.generatorEMA.store.checkpointTensors() { out["G_ema/" + k] = v }
        for (k, v) in t.discriminator.store.checkpointTensors() { out["D/" + k] = v }
        return out
    }

    func testResumeIsBitExactForEveryFamily() throws {
        let dir = temporaryDirectory("resume")
        for family in GeneratorFamily.allCases {
            let config = tinyConfig(family, resolution: 8, batch: 4, seed: 11)
            let source = PaletteSquareSource(resolution: 8)
            let straight = try GANTrainer(config: config, source: source)
            for _ in 0..<7 { straight.step() }

            let first = try GANTrainer(config: config, source: source)
            for _ in 0..<4 { first.step() }
            let url = dir.appendingPathComponent("\(family).safetensors")
            try first.saveCheckpoint(to: url)
            let resumed = try GANTrainer(resumingFrom: url, source: source)
            XCTAssertEqual(resumed.completedSteps, 4)
            XCTAssertEqual(resumed.config, config)
            for _ in 0..<3 { resumed.step() }

            XCTAssertEqual(resumed.completedSteps, straight.completedSteps)
            XCTAssertEqual(resumed.rng, straight.rng)
            let a = allTensors(straight), b = allTensors(resumed)
            XCTAssertEqual(Set(a.keys), Set(b.keys))
            for (k, v) in a { XCTAssertEqual(v, b[k], "\(family): \(k) differs after resume") }
            XCTAssertEqual(resumed.lastDLoss, straight.lastDLoss)
            XCTAssertEqual(resumed.optimizerG.snapshot(), straight.optimizerG.snapshot())
            XCTAssertEqual(resumed.optimizerD.snapshot(), straight.optimizerD.snapshot())
        }
    }

    func testCorruptCheckpointsGiveTypedErrors() throws {
        let dir = temporaryDirectory("corrupt")
        let url = dir.appendingPathComponent("x.safetensors")
        try Data([1, 2, 3]).write(to: url)
        XCTAssertThrowsError(try GANTrainer(resumingFrom: url, source: PaletteSquareSource(resolution: 8))) { e in
            guard case GANTrainingError.badCheckpoint = e else { return XCTFail("\(e)") }
        }
        try Safetensors.write(["a": Tensor(zeros: [1])], metadata: ["format": "something-else"], to: url)
        XCTAssertThrowsError(try GANTrainer(resumingFrom: url, source: PaletteSquareSource(resolution: 8))) { e in
            guard case GANTrainingError.badCheckpoint = e else { return XCTFail("\(e)") }
        }
        XCTAssertThrowsError(try GANTrainer(config: tinyConfig(.pggan, resolution: 8), source: PaletteSquareSource(resolution: 16))) { e in
            XCTAssertEqual(e as? GANTrainingError, .resolutionMismatch(source: 16, model: 8))
        }
    }
}
