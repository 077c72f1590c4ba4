import Foundation
import XCTest
import LGTensor
import LGModelIO
import LGModels
import LGSemantics
@testable import LGManipulation

final class EditTests: XCTestCase {
    /// Square mask [lo, hi) in a 32x32 map.
    func squareMask(_ lo: Int, _ hi: Int) -> [Float] {
        var m = [Float](repeating: 0, count: 1024)
        for y in lo..<hi { for x in lo..<hi { m[y * 32 + x] = 1 } }
        return m
    }

    /// An `internal` edit moves the label map toward the target inside the mask.
    func testInternalEditMovesLabelsInsideMask() throws {
        let m = try Fixture.models()
        var rng = SeededRandom(seed: 21)
        let z = rng.normalTensor([1, m.g.zDim])
        // Target: the labels of another sample inside the mask.
        let other = try Fixture.extractorTarget(m, seed: 202)
        let mask = squareMask(8, 24)
        let editor = SemanticEditor(generator: m.g, extractor: m.se, predictor: m.p)
        let r = try editor.edit(latent: .z(z), target: .labels(other), mask: mask, loss: .extractor,
                                options: EditOptions(nIter: 30, learningRate: 0.05))
        let before = try XCTUnwrap(r.metrics["agreement_inside_before"])
        let after = try XCTUnwrap(r.metrics["agreement_inside_after"])
        let outBefore = try XCTUnwrap(r.metrics["agreement_outside_before"])
        let outAfter = try XCTUnwrap(r.metrics["agreement_outside_after"])
        print("edit internal: inside agreement \(before) -> \(after), outside \(outBefore) -> \(outAfter), loss \(r.lossHistory.first!) -> \(r.lossHistory.last!)")
        XCTAssertEqual(r.space, .mixwp)
        XCTAssertEqual(r.latent.shape, [1, m.g.numLayers, m.g.zDim])
        XCTAssertEqual(outBefore, 1)   // fused target = current labels outside the mask
        // The predictor checks the edit independently, on the images.
        for k in ["inside", "outside", "all"] {
            for w in ["before", "after"] {
                let v = try XCTUnwrap(r.metrics["predictor_agreement_\(k)_\(w)"], "predictor_agreement_\(k)_\(w)")
                XCTAssertTrue((0...1).contains(v))
            }
        }
        XCTAssertGreaterThan(after, before + 0.05)
        XCTAssertLessThan(r.lossHistory.last!, r.lossHistory.first!)
        XCTAssertEqual(r.beforeLabels?.shape, [1, 32, 32])
        XCTAssertEqual(r.afterImage.shape, [1, 3, 32, 32])
    }

    /// The `external` loss (predictor on the image) runs and lowers its loss.
    func testExternalEdit() throws {
        let m = try Fixture.models()
        var rng = SeededRandom(seed: 22)
        let z = rng.normalTensor([1, m.g.zDim])
        var target = Labels(shape: [1, 32, 32], data: [Int32](repeating: 8, count: 1024))
        for y in 4..<20 { for x in 4..<20 { target.data[y * 32 + x] = 14 } }
        let editor = SemanticEditor(generator: m.g, predictor: m.p)
        let r = try editor.edit(latent: .z(z), target: .labels(target), mask: squareMask(4, 20), loss: .predictor,
                                options: EditOptions(nIter: 8, learningRate: 0.05, space: .z))
        print("edit external: loss \(r.lossHistory.first!) -> \(r.lossHistory.last!)")
        XCTAssertEqual(r.latent.shape, [1, m.g.zDim])
        XCTAssertLessThan(r.lossHistory.last!, r.lossHistory.first!)
    }

    /// The `image` loss: inside the mask the image moves to the stroke colour,
    /// outside it stays close to the original.
    func testImageEditKeepsOutside() throws {
        let m = try Fixture.models()
        var rng = SeededRandom(seed: 23)
        let z = rng.normalTensor([1, m.g.zDim])
        let original = m.g.generate(m.g.latent(fromZ: Variable(z), strategy: .notruncWP).value, features: false).image
        var stroke = original
        let mask = squareMask(10, 22)
        for c in 0..<3 { for i in 0..<1024 where mask[i] > 0 { stroke.data[c * 1024 + i] = c == 0 ? 0.9 : -0.9 } }
        let editor = SemanticEditor(generator: m.g, extractor: m.se)
        let r = try editor.edit(latent: .z(z), target: .image(stroke), mask: mask, loss: .image,
                                options: EditOptions(nIter: 30, learningRate: 0.05))
        let inB = r.metrics["mse_inside_before"]!, inA = r.metrics["mse_inside_after"]!
        let outB = r.metrics["mse_outside_before"]!, outA = r.metrics["mse_outside_after"]!
        print("edit image: inside MSE \(inB) -> \(inA), outside MSE \(outB) -> \(outA)")
        XCTAssertEqual(outB, 0)
        XCTAssertLessThan(inA, inB)
        XCTAssertLessThan(outA, 0.5 * inB)
        XCTAssertNotNil(r.afterLabels)   // labels by the extractor for display
    }

    /// Editing a wp latent directly.
    func testWPEdit() throws {
        let m = try Fixture.models()
        var rng = SeededRandom(seed: 24)
        let wp = m.g.latent(fromZ: Variable(rng.normalTensor([1, m.g.zDim])), strategy: .notruncWP).value
        let target = try Fixture.extractorTarget(m, seed: 204)
        let r = try SemanticEditor(generator: m.g, extractor: m.se)
            .edit(latent: .wp(wp), target: .labels(target), loss: .extractor, options: EditOptions(nIter: 10, learningRate: 0.05))
        XCTAssertEqual(r.space, .wp)
        XCTAssertEqual(r.latent, r.wp)
        XCTAssertGreaterThan(r.metrics["agreement_all_after"]!, r.metrics["agreement_all_before"]!)
    }

    func testBadEditInputs() throws {
        let m = try Fixture.models()
        let z = Tensor(zeros: [1, m.g.zDim])
        let editor = SemanticEditor(generator: m.g, extractor: m.se)
        XCTAssertThrowsError(try EditLoss(name: "pixels")) { e in
            XCTAssertEqual("\(e)", "unknown loss 'pixels'; choose one of: internal, external, image")
        }
        XCTAssertEqual(try EditLoss(name: "internal"), .extractor)
        XCTAssertThrowsError(try editor.edit(latent: .z(z), target: .labels(Labels(zeros: [1, 32, 32])), loss: .predictor)) { e in
            XCTAssertTrue("\(e)".contains("needs a predictor"), "\(e)")
        }
        XCTAssertThrowsError(try editor.edit(latent: .z(z), target: .labels(Labels(zeros: [1, 32, 32])),
                                             mask: [Float](repeating: 1, count: 100), loss: .extractor)) { e in
            XCTAssertTrue("\(e)".contains("mask"), "\(e)")
        }
        XCTAssertThrowsError(try editor.edit(latent: .z(Tensor(zeros: [1, 3])), target: .labels(Labels(zeros: [1, 32, 32])),
                                             loss: .extractor)) { e in
            XCTAssertTrue("\(e)".contains("bad latent"), "\(e)")
        }
        XCTAssertThrowsError(try editor.edit(latent: .z(z), target: .labels(Labels(zeros: [1, 32, 32])), loss: .image)) { e in
            XCTAssertTrue("\(e)".contains("target image"), "\(e)")
        }
        // Label-map PNG of the wrong size.
        let dir = try Fixture.tempDir("edit-bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        let png = dir.appendingPathComponent("t.png")
        try ManipulationFiles.writeLabelMap(Labels(zeros: [1, 24, 24]), nClasses: 15, to: png)
        XCTAssertThrowsError(try ManipulationFiles.readLabelMap(png, nClasses: 15, expectedSize: 32)) { e in
            XCTAssertEqual("\(e)", "label map t.png has size 24x24, expected 32x32 (the label resolution)")
        }
        // Round trip of a label map PNG.
        let t = try Fixture.extractorTarget(m, seed: 5)
        try ManipulationFiles.writeLabelMap(t, nClasses: 15, to: png)
        XCTAssertEqual(try ManipulationFiles.readLabelMap(png, nClasses: 15, expectedSize: 32), t)
    }
}

final class LabelStrokeTests: XCTestCase {
    func testStrokesPaintTargetAndMaskInOrder() throws {
        let names = ["background", "skin", "hair"]
        let a = try LabelStroke(parsing: "hair:rect:1,1,2,2", classNames: names, nClasses: 3)
        let b = try LabelStroke(parsing: "1:ellipse:2,2,1,1", classNames: names, nClasses: 3)
        XCTAssertEqual(a, LabelStroke(classIndex: 2, shape: .rect, values: [1, 1, 2, 2]))
        let r = try LabelStroke.render([a, b], size: 4)
        // The ellipse (skin, painted last) covers (2,1), (1,2), (2,2), (3,2), (2,3).
        XCTAssertEqual(r.target.data, [0, 0, 0, 0,
                                       0, 2, 1, 0,
                                       0, 1, 1, 1,
                                       0, 0, 1, 0])
        XCTAssertEqual(r.mask, [0, 0, 0, 0,
                                0, 1, 1, 0,
                                0, 1, 1, 1,
                                0, 0, 1, 0])
    }

    func testBadStrokesSayWhatIsExpected() {
        XCTAssertThrowsError(try LabelStroke(parsing: "hair:square:1,1,2,2", classNames: ["hair"], nClasses: 1)) {
            XCTAssertTrue("\($0)".contains("CLASS:rect:x0,y0,x1,y1"), "\($0)")
        }
        XCTAssertThrowsError(try LabelStroke(parsing: "5:rect:1,1,2,2", classNames: [], nClasses: 3))
        XCTAssertThrowsError(try LabelStroke(parsing: "0:ellipse:1,1,0,2", classNames: [], nClasses: 3))
        XCTAssertThrowsError(try LabelStroke.render([LabelStroke(classIndex: 0, shape: .rect, values: [9, 9, 12, 12])], size: 4)) {
            XCTAssertTrue("\($0)".contains("cover no pixel"), "\($0)")
        }
    }
}
