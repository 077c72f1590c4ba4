import XCTest
@testable import LGTensor

/// The one-pass kernels inference takes instead of composed operations give
/// the composed results: pixel norm, nearest upsampling, a LeakyReLU epilogue.
final class FusedInferenceTests: XCTestCase {
    func testPixelNormalizedEqualsTheComposedNorm() {
        for shape in [[2, 16, 33, 35], [1, 3, 4, 4], [3, 512, 1, 1], [1, 7, 1000]] {
            let x = randn(shape, seed: UInt64(shape.reduce(0, +)))
            let fast = x.pixelNormalized()
            // With a gradient recorded the composed primitives run.
            let v = Variable(x, requiresGrad: true)
            let composed = v.pixelNorm()
            XCTAssertFalse(composed.isLeaf)
            XCTAssertLessThan(fast.maxAbsDifference(composed.value), 1e-5, "\(shape)")
            XCTAssertEqual(GradMode.withoutGradients { v.pixelNorm().value }.data, fast.data, "\(shape): no-grad pixelNorm is the fused kernel")
        }
    }

    func testResizeNearestMatchesTheIndexFormula() {
        let x = randn([2, 3, 5, 7], seed: 4)
        for (oh, ow) in [(10, 14), (15, 21), (5, 7), (8, 3), (1, 1), (13, 9)] {
            let y = x.resizeNearest(height: oh, width: ow)
            XCTAssertEqual(y.shape, [2, 3, oh, ow])
            for p in 0..<6 { for oy in 0..<oh { for ox in 0..<ow {
                let sy = min(4, Int(Float(oy) * (Float(5) / Float(oh)))), sx = min(6, Int(Float(ox) * (Float(7) / Float(ow))))
                XCTAssertEqual(y.data[(p * oh + oy) * ow + ox], x.data[(p * 5 + sy) * 7 + sx], "\(oh)x\(ow) at \(p), \(oy), \(ox)")
            } } }
        }
    }

    func testLeakyEpilogueEqualsScaleBiasThenRectified() {
        let x = randn([2, 4, 6, 5], seed: 9)
        let scale: [Float] = [0.5, -1, 2, 0.25], shift: [Float] = [0.1, 0, -0.3, 1]
        var fused = x
        fused.applyChannelEpilogue(ChannelEpilogue(scale: scale, shift: shift, relu: true, negativeSlope: 0.2))
        let affine = Tensor(shape: x.shape, data: x.data.enumerated().map { i, v in
            let c = (i / 30) % 4
            return v * scale[c] + shift[c]
        })
        XCTAssertEqual(fused.data, affine.rectified(slope: 0.2, gain: 1).data)
    }
}
