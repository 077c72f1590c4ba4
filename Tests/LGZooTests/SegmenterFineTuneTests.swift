import Foundation
import LGDomains
import LGModels
import LGTensor
import XCTest
@testable import LGZoo

/// Segmenter training with the Lovász-softmax term, and fine-tuning from a
/// trained segmenter's file.
final class SegmenterFineTuneTests: XCTestCase {
    /// The trainer's loss with a Lovász weight is the cross-entropy plus that
    /// multiple of the Lovász-softmax loss, and training on it learns.
    func testLovaszTermInTheLoss() throws {
        var rng = SeededRandom(seed: 5)
        let logits = Variable(rng.normalTensor([2, 4, 3, 3]))
        let labels = Labels(shape: [2, 3, 3], data: (0..<18).map { Int32($0 % 4) })
        let plain = SegmenterTrainer.loss(logits, labels, weights: nil).value.scalar
        let mixed = SegmenterTrainer.loss(logits, labels, weights: nil, lovasz: 0.5).value.scalar
        XCTAssertEqual(mixed, plain + 0.5 * logits.lovaszSoftmax(labels).value.scalar, accuracy: 1e-5)
        XCTAssertGreaterThan(mixed, plain)

        var s = tinySegmenterSettings(steps: 40)
        s.lovaszWeight = 1
        let t = try SegmenterTrainer(settings: s)
        let before = t.evaluate(samples: 20)
        t.train()
        XCTAssertGreaterThan(t.evaluate(samples: 20).pixelAccuracy, before.pixelAccuracy + 0.1)
    }

    /// Fine-tuning starts from the given file's weights (with zero steps the
    /// network predicts exactly as the file's); a file of another shape or a
    /// missing one is a clear error; a resumed fine-tune needs only its
    /// checkpoint, not the initial file.
    func testFineTuningStartsFromTheGivenSegmenter() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("seg-init-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let base = try SegmenterTrainer(settings: tinySegmenterSettings(steps: 5))
        base.train()
        let file = dir.appendingPathComponent("base.safetensors")
        try SegmenterFiles.save(base, evaluation: base.evaluate(samples: 2), to: file)

        var s = tinySegmenterSettings(steps: 0)
        s.initialWeights = file.path
        s.seed = 7
        let images = base.domain.batch(resolution: 16, seeds: DomainSeeds.heldOut(3)).images
        XCTAssertEqual(try SegmenterTrainer(settings: s).network.predict(images).logits, base.network.predict(images).logits)
        var fresh = s
        fresh.initialWeights = nil
        XCTAssertNotEqual(try SegmenterTrainer(settings: fresh).network.predict(images).logits, base.network.predict(images).logits)

        var wider = s
        wider.featureScale = 8
        XCTAssertThrowsError(try SegmenterTrainer(settings: wider)) { XCTAssertTrue("\($0)".contains("feature scale"), "\($0)") }
        var missing = s
        missing.initialWeights = dir.appendingPathComponent("none.safetensors").path
        XCTAssertThrowsError(try SegmenterTrainer(settings: missing)) { XCTAssertTrue("\($0)".contains("not found"), "\($0)") }

        s.steps = 4
        let tuned = try SegmenterTrainer(settings: s)
        tuned.trainStep(); tuned.trainStep()
        let data = try tuned.checkpointData()
        try FileManager.default.removeItem(at: file)
        let resumed = try SegmenterTrainer(resuming: data)
        XCTAssertEqual(resumed.step, 2)
        XCTAssertEqual(resumed.network.predict(images).logits, tuned.network.predict(images).logits)
    }

    /// The registry's provenance line names every setting that changes the result.
    func testTrainCommandNamesTheSettings() {
        var s = SegmenterSettings(domain: "toychurch")
        XCTAssertEqual(s.trainCommand(out: "m.safetensors"), "worker train-segmenter --domain toychurch --resolution 32 --feature-scale 4"
                       + " --steps 2000 --batch 16 --lr 0.002 --seed 0 --out m.safetensors")
        s.classWeighting = .balanced; s.lovaszWeight = 1; s.initialWeights = "expr/zoo/segmenters/a.safetensors"
        XCTAssertTrue(s.trainCommand(out: "m").hasSuffix("--seed 0 --class-weighting balanced --lovasz-weight 1.0"
                                                         + " --init-from expr/zoo/segmenters/a.safetensors --out m"))
    }
}
