import XCTest
@testable import LGTensor

/// Average pooling with PyTorch's options, global average pooling and the
/// padding-tap trim of dilated convolutions.
final class AvgPoolTests: XCTestCase {
    // x = 0..<20 as (1, 1, 4, 5).
    let x = Tensor(shape: [1, 1, 4, 5], data: (0..<20).map(Float.init))

    func testCountIncludePadDividesBorderWindowsByTheFullKernel() {
        // AvgPool2d(3, stride 1, padding 1, count_include_pad=True): corner (0,0) = (0+1+5+6)/9.
        let y = x.avgPool2d(AvgPool2DOptions(kernel: 3, stride: 1, padding: 1, countIncludePad: true))
        XCTAssertEqual(y.shape, [1, 1, 4, 5])
        XCTAssertEqual(y[0, 0, 0, 0], 12 / 9, accuracy: 1e-6)
        XCTAssertEqual(y[0, 0, 1, 1], (0 + 1 + 2 + 5 + 6 + 7 + 10 + 11 + 12) / 9, accuracy: 1e-6)
        XCTAssertEqual(y[0, 0, 3, 4], (13 + 14 + 18 + 19) / 9, accuracy: 1e-6)
        // Stride 2, floor: outputs at rows 0, 2 and columns 0, 2, 4.
        let s = x.avgPool2d(AvgPool2DOptions(kernel: 3, stride: 2, padding: 1, countIncludePad: true))
        XCTAssertEqual(s.shape, [1, 1, 2, 3])
        XCTAssertEqual(s[0, 0, 1, 2], (8 + 9 + 13 + 14 + 18 + 19) / 9, accuracy: 1e-6)
    }

    func testExcludingPadDividesByTheValidCount() {
        let y = x.avgPool2d(AvgPool2DOptions(kernel: 3, stride: 1, padding: 1, countIncludePad: false))
        XCTAssertEqual(y[0, 0, 0, 0], 12 / 4, accuracy: 1e-6)
        XCTAssertEqual(y[0, 0, 0, 2], (1 + 2 + 3 + 6 + 7 + 8) / 6, accuracy: 1e-6)
    }

    func testCeilModeKeepsThePartialLastWindow() {
        // AvgPool2d(2, 2, ceil_mode=True, count_include_pad=False) on 4x5: 2x3, last column one wide.
        let y = x.avgPool2d(AvgPool2DOptions(kernel: 2, stride: 2, ceilMode: true, countIncludePad: false))
        XCTAssertEqual(y.shape, [1, 1, 2, 3])
        XCTAssertEqual(y[0, 0, 0, 0], (0 + 1 + 5 + 6) / 4, accuracy: 1e-6)
        XCTAssertEqual(y[0, 0, 0, 2], (4 + 9) / 2, accuracy: 1e-6)
        XCTAssertEqual(y[0, 0, 1, 2], (14 + 19) / 2, accuracy: 1e-6)
        let floor = x.avgPool2d(AvgPool2DOptions(kernel: 2, stride: 2, ceilMode: false, countIncludePad: false))
        XCTAssertEqual(floor.shape, [1, 1, 2, 2])
        // A window that would start in the padding is dropped: 5 with k 3, s 2, p 1, ceil -> 3 (not 4).
        XCTAssertEqual(AvgPool2DOptions(kernel: 3, stride: 2, padding: 1, ceilMode: true).outputSize(5), 3)
        XCTAssertEqual(AvgPool2DOptions(kernel: 2, stride: 2, ceilMode: true).outputSize(7), 4)
    }

    /// The plane kernel against the pooling written per output (the window's
    /// float sum in row-major order over the clipped window, then one
    /// division): bit for bit, over strides, paddings, ceil mode, both
    /// divisors, planes wider than a vector and odd sides, infinities and NaN.
    func testPoolingEqualsThePerOutputSumBitForBit() {
        var rng = SeededRandom(seed: 11)
        var t = rng.normalTensor([2, 3, 19, 45])
        t.data[5] = .infinity
        t.data[900] = .nan
        t.data[1300] = -0.0
        for (k, s, pad) in [(3, 1, 1), (3, 2, 1), (2, 2, 0), (3, 3, 0), (5, 2, 2), (1, 2, 0), (4, 3, 2)] {
            for ceil in [false, true] { for include in [false, true] {
                let o = AvgPool2DOptions(kernel: k, stride: s, padding: pad, ceilMode: ceil, countIncludePad: include)
                let y = t.avgPool2d(o)
                let h = 19, w = 45, oh = o.outputSize(h), ow = o.outputSize(w)
                XCTAssertEqual(y.shape, [2, 3, oh, ow])
                for p in 0..<6 { for oy in 0..<oh { for ox in 0..<ow {
                    let ys = oy * s - pad, xs = ox * s - pad
                    let ye = min(ys + k, h + pad), xe = min(xs + k, w + pad)
                    var sum: Float = 0
                    for iy in max(ys, 0)..<min(ye, h) { for ix in max(xs, 0)..<min(xe, w) { sum += t.data[p * h * w + iy * w + ix] } }
                    let d = include ? (ye - ys) * (xe - xs) : (min(ye, h) - max(ys, 0)) * (min(xe, w) - max(xs, 0))
                    let e = d > 0 ? sum / Float(d) : 0, a = y.data[(p * oh + oy) * ow + ox]
                    XCTAssertTrue(a.bitPattern == e.bitPattern || (a.isNaN && e.isNaN),
                                  "k \(k) s \(s) p \(pad) ceil \(ceil) include \(include) at \(p), \(oy), \(ox): \(a) against \(e)")
                } } }
            } }
        }
    }

    func testGlobalAveragePool() {
        var rng = SeededRandom(seed: 3)
        let t = rng.normalTensor([2, 3, 5, 7])
        let g = t.globalAveragePool()
        XCTAssertEqual(g.shape, [2, 3, 1, 1])
        for q in 0..<6 {
            let mean = t.data[(q * 35)..<((q + 1) * 35)].reduce(0, +) / 35
            XCTAssertEqual(g.data[q], mean, accuracy: 1e-5)
        }
    }

    func testSkippingPaddingTapsMatchesTheFullConvolution() {
        var rng = SeededRandom(seed: 5)
        let w = rng.normalTensor([4, 3, 3, 3])
        for (h, wd, rate) in [(6, 6, 6), (5, 9, 6), (8, 8, 3), (4, 4, 12)] {
            let x = rng.normalTensor([1, 3, h, wd])
            let o = Conv2DOptions(padding: rate, dilation: rate)
            let a = x.conv2dSkippingPaddingTaps(w, o), b = x.conv2d(w, o, winograd: false)
            XCTAssertEqual(a.shape, b.shape)
            XCTAssertLessThan(a.maxAbsDifference(b), 1e-5, "\(h)x\(wd) rate \(rate)")
        }
        XCTAssertEqual(Tensor.usedTaps(kernel: 3, input: 32, stride: 1, padding: 36, dilation: 36), 1..<2)
        XCTAssertEqual(Tensor.usedTaps(kernel: 3, input: 32, stride: 1, padding: 24, dilation: 24), 0..<3)
    }
}
