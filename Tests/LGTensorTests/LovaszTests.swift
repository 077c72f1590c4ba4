import XCTest
@testable import LGTensor

final class LovaszTests: XCTestCase {
    /// Logits 2 sin(0.37 i + 0.1), shape (2, 4, 3, 2), against the reference
    /// `lovasz_softmax(softmax(x), labels)` (per_image=False,
    /// classes='present') and its autograd gradient, in float64 PyTorch.
    func testMatchesReferenceValueAndGradient() {
        let x = Tensor(shape: [2, 4, 3, 2], data: (0..<48).map { 2 * Float(sin(0.37 * Double($0) + 0.1)) })
        let labels = Labels(shape: [2, 3, 2], data: [0, 1, 2, 3, 0, 1, 2, 2, 1, 0, 3, 3])
        let v = Variable(x, requiresGrad: true)
        let loss = v.lovaszSoftmax(labels)
        XCTAssertEqual(loss.value.scalar, 0.8033706325421472, accuracy: 1e-5)
        loss.backward()
        let expected: [Float] = [
            -0.0105718, 0.0054878, -0.0035197, 0.0137751, -0.0156239, 0.0058471, 0.0065616, -0.0157255,
            -0.0009343, 0.0012005, 0.0006324, -0.0013862, 0.0002115, 0.0003121, -0.0013993, 0.0006493,
            0.0012779, -0.0009997, 0.0037988, 0.0099255, 0.0058533, -0.0156250, 0.0137135, -0.0034612,
            0.0057175, 0.0038022, -0.0021594, -0.0039808, -0.0003132, -0.0000840, 0.0003412, 0.0006109,
            -0.0042171, -0.0014714, -0.0021940, -0.0015298, -0.0088287, -0.0062194, 0.0074889, 0.0058867,
            0.0047379, 0.0039884, 0.0027700, 0.0018062, -0.0011124, -0.0004345, -0.0022307, -0.0023746,
        ]
        assertClose(v.grad!, Tensor(shape: [2, 4, 3, 2], data: expected), atol: 1e-6)
    }

    /// Perfect, confident logits cost (almost) nothing; classes absent from
    /// the labels do not count; the loss is in [0, 1].
    func testPerfectPredictionAndAbsentClasses() {
        let labels = Labels(shape: [1, 2, 2], data: [0, 1, 1, 0])
        var data = [Float](repeating: -20, count: 3 * 4)
        for (q, t) in labels.data.enumerated() { data[Int(t) * 4 + q] = 20 }
        let perfect = Variable(Tensor(shape: [1, 3, 2, 2], data: data)).lovaszSoftmax(labels).value.scalar
        XCTAssertEqual(perfect, 0, accuracy: 1e-6)
        // Uniform probabilities: every error is 2/3 for the class's pixels, so each
        // present class's surrogate is 2/3 (class 2, absent, is skipped).
        let uniform = Variable(Tensor(zeros: [1, 3, 2, 2])).lovaszSoftmax(labels).value.scalar
        XCTAssertEqual(uniform, 2.0 / 3.0, accuracy: 1e-6)
    }
}
