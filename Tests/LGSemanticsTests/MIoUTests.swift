import Foundation
import XCTest
import LGTensor
import LGModelIO
@testable import LGSemantics

final class MIoUTests: XCTestCase {
    func sample(_ l: Labels, _ i: Int) -> Labels {
        let p = l.shape[1] * l.shape[2]
        return Labels(shape: [1, l.shape[1], l.shape[2]], data: Array(l.data[(i * p)..<((i + 1) * p)]))
    }

    func testReferenceCase() throws {
        let root = try Fixture.torch("miou_case.pth")
        let dt = Fixture.labels(root["dt"]), gt = Fixture.labels(root["gt"])
        let n = root["num_classes"]!.int!
        let refSample = root["per_sample_iou"]!.tensor!.floatTensor()
        let refClass = root["class_iou"]!.tensor!.floatValues()
        let refMIoU = Float(root["miou"]!.double!)
        let refAcc = root["pixel_acc"]!.tensor!.floatValues()
        var acc = IoUAccumulator(numClasses: n)
        var worst: Float = 0
        for i in 0..<dt.shape[0] {
            let s = acc.add(sample(dt, i), sample(gt, i))
            XCTAssertEqual(s.count, n - 1)
            for c in 0..<(n - 1) { worst = max(worst, abs(s[c] - refSample[i, c])) }
            worst = max(worst, abs(SegmentationMetrics.pixelAccuracy(sample(dt, i), sample(gt, i)) - refAcc[i]))
        }
        let r = acc.result
        for c in 0..<(n - 1) { worst = max(worst, abs(r.classIoU[c] - refClass[c])) }
        worst = max(worst, abs(r.mIoU - refMIoU))
        XCTAssertLessThan(worst, 1e-6)
        XCTAssertEqual(r.samples, dt.shape[0])
        XCTAssertEqual(r.pixelAccuracy, refAcc.reduce(0, +) / Float(refAcc.count), accuracy: 1e-6)
        print("miou_case: max abs error \(worst)")
    }

    func testAbsentClassesAndEmptyAggregate() {
        // Class 2 absent from both maps -> -1; class 1 only predicted -> 0.
        let dt = Labels(shape: [1, 2, 2], data: [0, 1, 0, 0])
        let gt = Labels(shape: [1, 2, 2], data: [0, 0, 0, 0])
        XCTAssertEqual(SegmentationMetrics.iou(dt, gt, numClasses: 3), [0, -1])
        XCTAssertEqual(SegmentationMetrics.pixelAccuracy(dt, gt), 0.75)
        var acc = IoUAccumulator(numClasses: 3)
        XCTAssertTrue(acc.result.mIoU.isNaN)
        acc.add(gt, gt)
        XCTAssertEqual(acc.result.classIoU, [-1, -1])
        acc.add(dt, gt)
        XCTAssertEqual(acc.result.classIoU, [0, -1])
        XCTAssertEqual(acc.result.mIoU, 0)
    }

    func testAccumulatorCodableAndMerge() throws {
        var rng = SeededRandom(seed: 7)
        func randomLabels() -> Labels {
            Labels(shape: [1, 8, 8], data: (0..<64).map { _ in Int32(rng.int(in: 0..<4)) })
        }
        var all = IoUAccumulator(numClasses: 4), a = IoUAccumulator(numClasses: 4), b = IoUAccumulator(numClasses: 4)
        for i in 0..<10 {
            let d = randomLabels(), g = randomLabels()
            all.add(d, g)
            if i < 4 { a.add(d, g) } else { b.add(d, g) }
        }
        let restored = try JSONDecoder().decode(IoUAccumulator.self, from: JSONEncoder().encode(a))
        XCTAssertEqual(restored, a)
        var merged = restored
        merged.merge(b)
        XCTAssertEqual(merged.result.samples, 10)
        for (x, y) in zip(merged.result.classIoU, all.result.classIoU) { XCTAssertEqual(x, y, accuracy: 1e-6) }
        XCTAssertEqual(merged.result.mIoU, all.result.mIoU, accuracy: 1e-6)
        let r = try JSONDecoder().decode(MIoUResult.self, from: JSONEncoder().encode(all.result))
        XCTAssertEqual(r, all.result)
    }
}
