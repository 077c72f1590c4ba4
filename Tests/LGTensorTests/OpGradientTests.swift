import Foundation
import XCTest
@testable import LGTensor

final class OpGradientTests: XCTestCase {
    func testElementwiseBroadcasting() {
        gradCheck([randn([2, 3, 4]), randn([3, 1], seed: 2)]) { $0[0] + $0[1] }
        gradCheck([randn([2, 3, 4]), randn([1, 3, 1], seed: 2)]) { $0[0] - $0[1] }
        gradCheck([randn([2, 3, 4]), randn([4], seed: 2)]) { $0[0] * $0[1] }
        gradCheck([randn([2, 3]), randn([2, 1], seed: 2).map { abs($0) + 1 }]) { $0[0] / $0[1] }
        XCTAssertEqual(Broadcast.shape([2, 1, 4], [3, 1]), [2, 3, 4])
    }

    func testActivations() {
        let x = randn([3, 5]).map { abs($0) < 0.05 ? 0.3 : $0 }  // keep away from kinks
        gradCheck([x]) { $0[0].relu() }
        gradCheck([x]) { $0[0].leakyRelu(0.2, gain: Float(2).squareRoot()) }
        gradCheck([x]) { $0[0].tanh() }
        gradCheck([x]) { $0[0].sigmoid() }
        gradCheck([x]) { $0[0].softplus() }
        gradCheck([x]) { $0[0].exp() }
        gradCheck([x.map { abs($0) + 0.5 }]) { $0[0].sqrt() }
        XCTAssertEqual(Variable(Tensor(shape: [2], data: [30, -30])).softplus().value.data[0], 30)
    }

    /// tanh (CKernels) against libm's tanhf: a dense sweep through both
    /// branches and the tails, tiny values, the infinities and NaN, and
    /// lengths with a tail and split across cores.
    func testTanhMatchesLibm() {
        var xs: [Float] = (0..<200_003).map { Float($0 - 100_000) * 2e-4 }  // -20 ... 20
        xs += [0, -0, 1e-30, -1e-30, 1e-4, 0.625, -0.625, 0.62499, 9, -9, .infinity, -.infinity, .nan]
        let y = Tensor(shape: [xs.count], data: xs).tanhValues()
        var worst: Float = 0
        for (x, v) in zip(xs, y.data) {
            if x.isNaN { XCTAssertTrue(v.isNaN); continue }
            let e = Foundation.tanh(x)
            worst = max(worst, abs(v - e))
            XCTAssertLessThanOrEqual(abs(v - e), max(3e-7, 2e-6 * abs(e)), "tanh(\(x)) = \(v), libm \(e)")
        }
        XCTAssertEqual(y.data[xs.count - 13], 0)
        XCTAssertEqual(y.data[xs.count - 11], 1e-30, "tiny values keep their precision")
        XCTAssertEqual(y.data[xs.count - 3], 1)
        XCTAssertEqual(y.data[xs.count - 2], -1)
        print("tanh: largest difference from libm \(worst)")
    }

    /// The eight-lane, multi-core rectifiers against their per-element
    /// definitions: sizes with a tail, sizes split across cores, zeros.
    func testRectifiersMatchTheirDefinitions() {
        for n in [13, 3 * Tensor.elementwiseGrain + 5] {
            let x = randn([n], seed: UInt64(n)).map { abs($0) < 0.1 ? 0 : $0 }, g = randn([n], seed: 9)
            for (slope, gain) in [(Float(0), Float(1)), (0.2, Float(2).squareRoot()), (0.01, 1)] {
                let y = x.rectified(slope: slope, gain: gain), gx = g.rectifiedGradient(input: x, slope: slope, gain: gain)
                for i in 0..<n {
                    let v = x.data[i]
                    let ey: Float = slope == 0 && gain == 1 ? max(v, 0) : (v >= 0 ? v : v * slope) * gain
                    let eg: Float = slope == 0 && gain == 1 ? (v > 0 ? g.data[i] : 0) : g.data[i] * ((v >= 0 ? 1 : slope) * gain)
                    XCTAssertEqual(y.data[i], ey, "forward \(i) of \(n), slope \(slope)")
                    XCTAssertEqual(gx.data[i], eg, "gradient \(i) of \(n), slope \(slope)")
                }
            }
        }
        // ReLU passes no gradient at exactly zero (PyTorch's rule); the leaky form does.
        let z = Tensor(shape: [1], data: [0]), one = Tensor(shape: [1], data: [1])
        XCTAssertEqual(one.rectifiedGradient(input: z, slope: 0, gain: 1).data, [0])
        XCTAssertEqual(one.rectifiedGradient(input: z, slope: 0.2, gain: 1).data, [1])
    }

    func testReductionsConcatSlice() {
        gradCheck([randn([2, 3, 4])]) { $0[0].sum(axes: [1]) }
        gradCheck([randn([2, 3, 4])]) { $0[0].mean(axes: [0, 2], keepDims: true) }
        gradCheck([randn([2, 3, 4]), randn([2, 2, 4], seed: 2)]) { Variable.concat([$0[0], $0[1]], axis: 1) }
        gradCheck([randn([2, 5, 3])]) { $0[0].slice(axis: 1, 1..<4) }
        let t = Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(t.sum(axes: [0]).data, [5, 7, 9])
        XCTAssertEqual(t.sum(axes: [1]).data, [6, 15])
    }

    func testLinearAndMatmul() {
        gradCheck([randn([3, 4]), randn([5, 4], seed: 2), randn([5], seed: 3)]) { $0[0].linear($0[1], $0[2]) }
        gradCheck([randn([3, 4]), randn([4, 2], seed: 2)]) { $0[0].matmul($0[1]) }
        let a = Tensor(shape: [2, 2], data: [1, 2, 3, 4]), b = Tensor(shape: [2, 1], data: [5, 6])
        XCTAssertEqual(a.matmul(b).data, [17, 39])
    }

    func testResizeAndPooling() {
        gradCheck([randn([1, 2, 3, 4])]) { $0[0].resizeBilinear(height: 7, width: 5, alignCorners: true) }
        gradCheck([randn([1, 2, 5, 4])]) { $0[0].resizeBilinear(height: 3, width: 9, alignCorners: false) }
        gradCheck([randn([2, 1, 2, 3])]) { $0[0].upsampleNearest(2) }
        gradCheck([randn([1, 2, 5, 5])]) { $0[0].resizeNearest(height: 3, width: 7) }
        gradCheck([randn([1, 2, 6, 6])]) { $0[0].maxPool2d(kernel: 2) }
        gradCheck([randn([1, 1, 5, 5])]) { $0[0].maxPool2d(kernel: 3, stride: 2, padding: 1) }
        // align_corners=True keeps the corners; known values against PyTorch.
        let x = Tensor(shape: [1, 1, 2, 2], data: [0, 1, 2, 3])
        XCTAssertEqual(x.resizeBilinear(height: 3, width: 3, alignCorners: true).data, [0, 0.5, 1, 1, 1.5, 2, 2, 2.5, 3])
        XCTAssertEqual(x.resizeBilinear(height: 4, width: 4, alignCorners: false).data,
                       [0, 0.25, 0.75, 1, 0.5, 0.75, 1.25, 1.5, 1.5, 1.75, 2.25, 2.5, 2, 2.25, 2.75, 3])
    }

    func testNormalisation() {
        var rm = Tensor(zeros: [3]), rv = Tensor(repeating: 1, shape: [3])
        gradCheck([randn([4, 3, 2, 2]), randn([3], seed: 2), randn([3], seed: 3)], tol: 3e-2) { v in
            var m = Tensor(zeros: [3]), s = Tensor(repeating: 1, shape: [3])
            return v[0].batchNorm(weight: v[1], bias: v[2], runningMean: &m, runningVar: &s, training: true)
        }
        gradCheck([randn([2, 3, 2, 2]), randn([3], seed: 2), randn([3], seed: 3)]) { v in
            var m = Tensor(shape: [3], data: [0.1, -0.2, 0.3]), s = Tensor(shape: [3], data: [0.5, 2, 1])
            return v[0].batchNorm(weight: v[1], bias: v[2], runningMean: &m, runningVar: &s, training: false)
        }
        // Running statistics follow PyTorch (momentum 0.1, unbiased variance).
        let x = Tensor(shape: [2, 3, 1, 1], data: [1, 2, 3, 3, 6, 9])
        _ = Variable(x).batchNorm(weight: nil, bias: nil, runningMean: &rm, runningVar: &rv, training: true)
        XCTAssertEqual(rm.data[0], 0.2, accuracy: 1e-6)
        XCTAssertEqual(rv.data[2], 0.9 + 0.1 * 18, accuracy: 1e-5)
        gradCheck([randn([2, 4, 3, 3])]) { $0[0].pixelNorm() }
    }

    func testUpFirDn() {
        let k = Tensor(shape: [4, 4], data: (0..<16).map { Float($0 % 5) + 1 })
        gradCheck([randn([1, 2, 4, 4])]) { $0[0].upfirdn2d(k, .init(up: 2, pad: (2, 1))) }
        gradCheck([randn([1, 2, 8, 8])]) { $0[0].upfirdn2d(k, .init(down: 2, pad: (1, 1))) }
        // A delta kernel with no resampling is the identity.
        let d = Tensor(shape: [1, 1], data: [1])
        let x = randn([1, 3, 4, 5])
        assertClose(x.upfirdn2d(d, .init(pad: (0, 0))), x)
        // Upsampling by 2 with a 2x2 box of ones and pad (0,1) repeats pixels (nearest).
        let box = Tensor(repeating: 1, shape: [2, 2])
        let up = x.upfirdn2d(box, .init(up: 2, pad: (1, 0)))
        assertClose(up, x.resizeNearest(height: 8, width: 10))
    }

    func testSeparableFIRMatchesGeneralPath() {
        // StyleGAN's rank-1 kernels take two 1-d passes; forward and adjoint
        // must agree with the kh*kw-tap path for up, down, padding and crops.
        let k1331 = Tensor(shape: [4], data: [1, 3, 3, 1])
        let fir = Tensor(shape: [4, 4], data: (0..<16).map { k1331.data[$0 / 4] * k1331.data[$0 % 4] / 64 })
        let skewed = Tensor(shape: [3, 2], data: [1, -2, 0.5, -1, 3, -6])  // rank 1, not square
        XCTAssertNotNil(FIRPlan(input: [1, 1, 4, 4], kernel: fir, .init(pad: (1, 1))).column)
        XCTAssertNotNil(FIRPlan(input: [1, 1, 4, 4], kernel: skewed, .init(pad: (1, 1))).column)
        let full = Tensor(shape: [2, 2], data: [1, 2, 3, 5])
        XCTAssertNil(FIRPlan(input: [1, 1, 4, 4], kernel: full, .init(pad: (1, 1))).column)
        let cases: [(Tensor, UpFirDnOptions, [Int])] = [
            (fir, .init(pad: (1, 1)), [2, 3, 7, 6]),
            (fir, .init(up: 2, pad: (2, 1)), [1, 2, 5, 4]),
            (fir, .init(down: 2, pad: (1, 1)), [2, 2, 8, 8]),
            (fir, .init(down: 2, pad: (2, 2)), [1, 3, 9, 7]),
            (skewed, .init(up: 2, down: 3, padX0: 1, padX1: -1, padY0: 2, padY1: 0), [2, 2, 6, 5]),
        ]
        for (i, c) in cases.enumerated() {
            let x = randn(c.2, seed: UInt64(i + 1))
            let y = x.upfirdn2d(c.0, c.1)
            let gy = randn(y.shape, seed: UInt64(i + 40))
            let gx = gy.upfirdn2dAdjoint(c.0, c.1, inputShape: x.shape)
            FIRPlan.allowSeparable = false
            let yGeneral = x.upfirdn2d(c.0, c.1)
            let gxGeneral = gy.upfirdn2dAdjoint(c.0, c.1, inputShape: x.shape)
            FIRPlan.allowSeparable = true
            assertClose(y, yGeneral, atol: 1e-5)
            assertClose(gx, gxGeneral, atol: 1e-5)
            // <A x, g> == <x, A^T g>.
            XCTAssertEqual(Double((y * gy).sumAll()), Double((x * gx).sumAll()), accuracy: 1e-3, "case \(i)")
        }
        gradCheck([randn([1, 2, 5, 4])]) { $0[0].upfirdn2d(fir, .init(up: 2, pad: (2, 1))) }
        gradCheck([randn([1, 2, 6, 6])]) { $0[0].upfirdn2d(skewed, .init(down: 2, pad: (1, 1))) }
        // Blurring with down = 2 equals blurring fully and keeping every second pixel.
        let x = randn([1, 2, 8, 8], seed: 9)
        let strided = x.upfirdn2d(fir, .init(pad: (1, 1)))
        let direct = x.upfirdn2d(fir, .init(down: 2, pad: (1, 1)))
        XCTAssertEqual(direct.shape, [1, 2, 4, 4])
        for c in 0..<2 { for i in 0..<4 { for j in 0..<4 {
            XCTAssertEqual(direct[0, c, i, j], strided[0, c, 2 * i, 2 * j], accuracy: 1e-6)
        } } }
    }

    func testLosses() {
        let labels = Labels(shape: [2, 3, 2], data: [0, 1, 2, 3, 0, 1, 2, 2, 1, 0, 3, 3])
        gradCheck([randn([2, 4, 3, 2])]) { $0[0].crossEntropy(labels) }
        gradCheck([randn([2, 4, 3, 2])]) { $0[0].crossEntropyPerPixel(labels) }
        gradCheck([randn([2, 4, 3, 2])]) { $0[0].focalLoss(labels) }
        // CE of uniform logits is log(C).
        let ce = Variable(Tensor(zeros: [2, 4, 3, 2])).crossEntropy(labels).value.scalar
        XCTAssertEqual(ce, Float(4).logAndReturn(), accuracy: 1e-6)
    }

    /// The cross-entropy gradient over planes split across cores:
    /// (softmax - onehot(label)) x g at every class of sampled pixels.
    func testCrossEntropyGradientAtScale() {
        let n = 2, c = 5, h = 100, w = 90, p = h * w
        let x = Variable(randn([n, c, h, w], seed: 40), requiresGrad: true)
        var rng = SeededRandom(seed: 41)
        let labels = Labels(shape: [n, h, w], data: (0..<(n * p)).map { _ in Int32(rng.next() % UInt64(c)) })
        let g = randn([n, h, w], seed: 42)
        x.crossEntropyPerPixel(labels).backward(g)
        for idx in stride(from: 0, to: n * p, by: 331) {
            let i = idx / p, q = idx % p
            let logits = (0..<c).map { Double(x.value.data[(i * c + $0) * p + q]) }
            let m = logits.max()!, z = logits.reduce(0) { $0 + Foundation.exp($1 - m) }
            for j in 0..<c {
                let expect = (Foundation.exp(logits[j] - m) / z - (Int(labels.data[idx]) == j ? 1 : 0)) * Double(g.data[idx])
                XCTAssertEqual(Double(x.grad!.data[(i * c + j) * p + q]), expect, accuracy: 1e-6, "pixel \(idx), class \(j)")
            }
        }
    }

    func testNoGradModeRecordsNothing() {
        let w = Variable(randn([3, 2]), requiresGrad: true)
        let x = Variable(randn([4, 2]))
        let y = GradMode.withoutGradients { x.linear(w).relu() }
        XCTAssertTrue(y.isLeaf)
        XCTAssertFalse(y.requiresGrad)
        let z = x.linear(w).relu()
        XCTAssertFalse(z.isLeaf)
    }

    func testGradientsAccumulateAcrossBackwardCalls() {
        let w = Variable(Tensor(shape: [1], data: [2]), requiresGrad: true)
        (w * w).sum().backward()
        (w * w).sum().backward()
        XCTAssertEqual(w.grad?.data, [8])
    }
}

private extension Float {
    func logAndReturn() -> Float { Foundation.log(self) }
}

final class BroadcastPathTests: XCTestCase {
    /// The per-block scalar fast path agrees with the general broadcast walk.
    func testBlockScalarPathMatchesGeneralPath() {
        let a = randn([2, 3, 4, 5])
        for bShape in [[1, 3, 1, 1], [2, 3, 1, 1], [3, 1, 1], [2, 1, 1, 1], [1, 3, 4, 1]] {
            let b = randn(bShape, seed: 2)
            let fast = a.multiplying(b)
            var slow = Tensor(zeros: a.shape)
            let pb = [Int](repeating: 1, count: 4 - bShape.count) + bShape
            for i in 0..<2 { for j in 0..<3 { for k in 0..<4 { for l in 0..<5 {
                let bi = [i, j, k, l].enumerated().map { pb[$0.offset] == 1 ? 0 : $0.element }
                var off = 0
                for d in 0..<4 { off = off * pb[d] + bi[d] }
                slow[i, j, k, l] = a[i, j, k, l] * b.data[off]
            } } } }
            assertClose(fast, slow, atol: 0)
        }
        gradCheck([randn([2, 3, 4, 4]), randn([1, 3, 1, 1], seed: 3)]) { $0[0] * $0[1] + $0[1] }
    }
}

final class ActivationAccuracyTests: XCTestCase {
    func testTanhMatchesLibm() {
        var worst: Float = 0
        var x: Float = -20
        while x < 20 {
            let y = Variable(Tensor(shape: [1], data: [x])).tanh().value.data[0]
            worst = max(worst, abs(y - Foundation.tanh(x)))
            x += 0.00731
        }
        XCTAssertLessThan(worst, 3e-7)
    }
}

final class WeightedSumTests: XCTestCase {
    func testWeightedSumValueAndGradients() {
        gradCheck([randn([1, 3, 4, 4]), randn([1, 3, 4, 4], seed: 2), randn([1, 3, 4, 4], seed: 3), randn([3], seed: 4)]) { v in
            Variable.weightedSum([v[0], v[1], v[2]], weights: v[3])
        }
        let a = Variable(randn([2, 5])), b = Variable(randn([2, 5], seed: 2))
        let w = Variable(Tensor(shape: [2], data: [0.25, -2]))
        assertClose(Variable.weightedSum([a, b], weights: w).value,
                    (a * Variable(Tensor(scalar: 0.25)) + b * Variable(Tensor(scalar: -2))).value, atol: 1e-6)
    }

    /// Over many element blocks (split across cores): each element summed
    /// in input order, and the weight gradient equal to the dot product in
    /// double precision.
    func testManyBlocks() {
        let shape = [1, 3, 150, 170]  // 76,500 elements: five blocks, the last partial
        let xs = (0..<3).map { Variable(randn(shape, seed: 20 + UInt64($0)), requiresGrad: true) }
        let w = Variable(Tensor(shape: [3], data: [0.5, -1.25, 2]), requiresGrad: true)
        let y = Variable.weightedSum(xs, weights: w)
        for j in stride(from: 0, to: y.value.count, by: 997) {
            var e: Float = 0
            for i in 0..<3 { e += w.value.data[i] * xs[i].value.data[j] }
            XCTAssertEqual(y.value.data[j], e, "element \(j)")
        }
        let g = randn(shape, seed: 30)
        y.backward(g)
        for i in 0..<3 {
            let dot = zip(g.data, xs[i].value.data).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            XCTAssertEqual(Double(w.grad!.data[i]), dot, accuracy: 1e-4 * max(1, abs(dot)))
            XCTAssertTrue(xs[i].grad!.data == g.scaled(w.value.data[i]).data)
        }
    }
}
