import Foundation
import XCTest
import LGModelIO
import LGTensor
import LGModels

final class FaceParserTests: XCTestCase {
    func testFixtureLogitsAndLabels() throws {
        let config = try JSONDecoder().decode(FaceParserConfig.self, from: Fixture.json("face_unet_r64"))
        XCTAssertEqual(config.featureScale, 16)
        let p = try FaceParser(config: config, stateDict: Fixture.stateDict("face_unet_r64"))
        let io = try Fixture.io("face_unet_r64")
        let x = io["x"]!.floatTensor()
        let out = p.predict(x)
        let d = assertClose(out.logits, io["logits"]!.floatTensor(), "logits")
        XCTAssertEqual(out.labels.shape, io["labels"]!.shape)
        XCTAssertEqual(out.labels.data.map(Int.init), io["labels"]!.intValues())
        print("face_unet_r64 fixture logits max abs error: \(d)")
        XCTAssertEqual(p.classNames.count, 15)
        XCTAssertEqual(p.classNames[10], "hair")
        // Labels at another resolution come from bilinearly resized logits.
        let up = p.predict(x, labelResolution: 96)
        XCTAssertEqual(up.labels.shape, [2, 96, 96])
        let resized = out.logits.resizeBilinear(height: 96, width: 96, alignCorners: true)
        XCTAssertLessThan(up.logits.maxAbsDifference(resized), 1e-5)
    }

    /// Labelling runs the folded inference path (bias, BatchNorm and ReLU in
    /// one pass); with gradients on, the autodiff path runs. They agree, with
    /// and without BatchNorm, and the fixture's logits above hold for both.
    func testInferencePathEqualsTheAutodiffPath() throws {
        let config = try JSONDecoder().decode(FaceParserConfig.self, from: Fixture.json("face_unet_r64"))
        let p = try FaceParser(config: config, stateDict: Fixture.stateDict("face_unet_r64"))
        let io = try Fixture.io("face_unet_r64")
        let x = io["x"]!.floatTensor()
        let folded = GradMode.withoutGradients { p.forward(Variable(x)).value }
        let graph = p.forward(Variable(x))
        XCTAssertFalse(graph.isLeaf, "with gradients on, the autodiff path runs")
        XCTAssertLessThan(folded.maxAbsDifference(graph.value), 1e-5)
        assertClose(graph.value, io["logits"]!.floatTensor(), "logits (autodiff path)")

        var plain = config
        plain.isBatchnorm = false
        let q = try FaceParser(config: plain)
        q.initializeForTraining(seed: 5)
        for (key, param) in q.store.namedParameters where key.hasSuffix(".bias") {
            var rng = SeededRandom(seed: UInt64(key.count))
            q.store.set(key, rng.normalTensor(param.value.shape, std: 0.1))
        }
        let a = GradMode.withoutGradients { q.forward(Variable(x)).value }
        q.requiresParameterGradients = true
        let b = q.forward(Variable(x)).value
        XCTAssertLessThan(a.maxAbsDifference(b), 1e-4 * max(1, b.data.map(abs).max() ?? 0))
    }

    func testMismatchedCheckpoint() throws {
        let sd = try Fixture.stateDict("face_unet_r64")
        let p = try FaceParser(config: FaceParserConfig(resolution: 64, featureScale: 8, nClasses: 15))
        XCTAssertThrowsError(try p.load(sd)) { error in
            guard case let ModelError.shapeMismatch(key, expected, _, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(key, "conv1.conv1.0.weight")
            XCTAssertEqual(expected, [8, 3, 3, 3])
        }
    }
}
