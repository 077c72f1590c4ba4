import XCTest
@testable import LGTensor

/// `conv2dReLU` gives the bits of `conv2d(_:bias:_:).relu()`, forward and
/// backward, on the paths the convolution takes (1x1 one sample at a time,
/// batched small maps, im2col 3x3, Winograd 3x3).
final class ConvReLUTests: XCTestCase {
    private func check(x xs: [Int], w ws: [Int], padding: Int, bias: Bool, inputGrad: Bool, seed: UInt64,
                       file: StaticString = #filePath, line: UInt = #line) {
        let x = Variable(randn(xs, seed: seed), requiresGrad: inputGrad)
        let w = Variable(randn(ws, seed: seed + 1).scaled(0.3), requiresGrad: true)
        let b = bias ? Variable(randn([ws[0]], seed: seed + 2), requiresGrad: true) : nil
        let o = Conv2DOptions(padding: padding)
        // A loss that weights every output differently, so masked and summed
        // gradients are all exercised.
        let r = Variable(randn([xs[0], ws[0], xs[2] + 2 * padding - ws[2] + 1, xs[3] + 2 * padding - ws[3] + 1], seed: seed + 3))
        let composed = x.conv2d(w, bias: b, o).relu()
        (composed * r).sum().backward()
        let expect = (x.grad, w.grad!, b?.grad)
        x.zeroGrad(); w.zeroGrad(); b?.zeroGrad()

        let fused = x.conv2dReLU(w, bias: b, o)
        XCTAssertTrue(fused.value.data == composed.value.data, "forward \(xs) * \(ws)", file: file, line: line)
        XCTAssertTrue(fused.value.data.contains(0) && fused.value.data.contains { $0 > 0 }, "the ReLU cuts some outputs", file: file, line: line)
        (fused * r).sum().backward()
        XCTAssertTrue(w.grad!.data == expect.1.data, "weight gradient \(xs) * \(ws)", file: file, line: line)
        XCTAssertTrue(b?.grad?.data == expect.2?.data, "bias gradient \(xs) * \(ws)", file: file, line: line)
        XCTAssertTrue(x.grad?.data == expect.0?.data, "input gradient \(xs) * \(ws)", file: file, line: line)
        if !inputGrad { XCTAssertNil(x.grad, file: file, line: line) }

        // Without gradients recorded: the same values, no graph.
        // (Under the default policy this is the inference path, Winograd
        // where it applies.)
        let plain = GradMode.withoutGradients { x.conv2dReLU(w, bias: b, o) }
        XCTAssertTrue(plain.isLeaf, file: file, line: line)
        XCTAssertTrue(plain.value.data == GradMode.withoutGradients { x.conv2d(w, bias: b, o).relu() }.value.data,
                       "forward without gradients \(xs) * \(ws)", file: file, line: line)
    }

    func testOneByOneOneSample() {
        check(x: [1, 32, 40, 40], w: [23, 32, 1, 1], padding: 0, bias: true, inputGrad: false, seed: 1)
        check(x: [1, 12, 9, 11], w: [7, 12, 1, 1], padding: 0, bias: true, inputGrad: true, seed: 2)
    }

    func testBatchedAndWithoutBias() {
        check(x: [3, 6, 5, 5], w: [4, 6, 1, 1], padding: 0, bias: false, inputGrad: true, seed: 3)
        check(x: [2, 5, 7, 6], w: [6, 5, 3, 3], padding: 1, bias: true, inputGrad: true, seed: 4)
    }

    func testThreeByThreeIm2colAndWinograd() {
        check(x: [1, 8, 13, 17], w: [8, 8, 3, 3], padding: 1, bias: true, inputGrad: true, seed: 5)
        // 32 -> 32 channels at 40 px: Winograd when training under the
        // train jobs' policy, im2col under the default one.
        XCTAssertTrue(Winograd.applies([1, 32, 40, 40], [32, 32, 3, 3], Conv2DOptions(padding: 1)))
        for policy in [Winograd.Policy.always, .inference] {
            Winograd.with(policy: policy) {
                check(x: [1, 32, 40, 40], w: [32, 32, 3, 3], padding: 1, bias: true, inputGrad: true, seed: 6)
            }
        }
    }

    func testReLUGradientMasksAndSumsPerChannel() {
        let g = randn([2, 3, 5, 7], seed: 7)
        var y = randn([2, 3, 5, 7], seed: 8).rectified(slope: 0, gain: 1)
        y.data[3] = .nan
        let (m, sums) = g.reluGradient(output: y, channelSums: true)
        XCTAssertTrue(m.data == g.rectifiedGradient(input: y, slope: 0, gain: 1).data)
        XCTAssertEqual(sums!.data, m.channelSums().data)
        XCTAssertNil(g.reluGradient(output: y, channelSums: false).1)
    }
}
