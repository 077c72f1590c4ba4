import XCTest
@testable import LGTensor

/// Dilated convolutions done in regions over the taps that reach the image
/// (`conv2dByTapRegions`, DeepLabV3's ASPP at rates 12 and 24 on 32x32).
final class ConvTapRegionsTests: XCTestCase {
    func testBandsOfTheASPPRates() {
        // Rate 24 on 32: outputs 0-7 reach with taps 1, 2; 8-23 only the centre; 24-31 taps 0, 1.
        XCTAssertEqual(Tensor.tapBands(kernel: 3, input: 32, padding: 24, dilation: 24).map { [$0.outputs, $0.taps] },
                       [[0..<8, 1..<3], [8..<24, 1..<2], [24..<32, 0..<2]])
        // Rate 12: 0-11 taps 1, 2; 12-19 all three; 20-31 taps 0, 1.
        XCTAssertEqual(Tensor.tapBands(kernel: 3, input: 32, padding: 12, dilation: 12).map { [$0.outputs, $0.taps] },
                       [[0..<12, 1..<3], [12..<20, 0..<3], [20..<32, 0..<2]])
        let r24 = Tensor.tapBands(kernel: 3, input: 32, padding: 24, dilation: 24)
        let r12 = Tensor.tapBands(kernel: 3, input: 32, padding: 12, dilation: 12)
        XCTAssertEqual(Tensor.tapRegionShare(r24, r24, kh: 3, kw: 3), 0.25, accuracy: 1e-12)
        XCTAssertEqual(Tensor.tapRegionShare(r12, r12, kh: 3, kw: 3), 0.5625, accuracy: 1e-12)
        // An ordinary 3x3 with padding 1 loses little at its edges: left to im2col.
        let plain = Tensor.tapBands(kernel: 3, input: 32, padding: 1, dilation: 1)
        XCTAssertGreaterThan(Tensor.tapRegionShare(plain, plain, kh: 3, kw: 3), Tensor.tapRegionThreshold)
    }

    func testRegionsMatchIm2col() {
        var rng = SeededRandom(seed: 8)
        // (input, cout, kernel, padding, dilation)
        let cases: [([Int], Int, Int, Int, Int)] = [
            ([1, 16, 32, 32], 8, 3, 12, 12),
            ([1, 16, 32, 32], 8, 3, 24, 24),
            ([2, 5, 20, 27], 7, 3, 9, 9),      // batch 2, non-square
            ([1, 6, 17, 13], 4, 5, 8, 4),      // 5x5, padding unlike the rate
            ([1, 3, 6, 7], 4, 3, 12, 12),      // a map smaller than the rate: only the centre tap reaches it
            ([1, 4, 20, 20], 3, 2, 10, 20),    // 2x2: no tap reaches the map from every output
            ([1, 4, 30, 30], 3, 3, 10, 10),
        ]
        for (i, c) in cases.enumerated() {
            let (xs, cout, k, p, d) = c
            let x = rng.normalTensor(xs), w = rng.normalTensor([cout, xs[1], k, k]), bias = rng.normalTensor([cout])
            let o = Conv2DOptions(padding: p, dilation: d)
            guard let regions = x.conv2dByTapRegions(w, o) else { XCTFail("case \(i): regions not taken"); continue }
            var reference = x.conv2d(w, o, winograd: false)
            XCTAssertEqual(regions.shape, reference.shape, "case \(i)")
            XCTAssertLessThan(regions.maxAbsDifference(reference), 1e-4 * max(1, reference.maxAbs), "case \(i)")
            // Through the public entry, with a bias, inside and outside the weight cache.
            reference.addChannelBias(bias)
            let viaEntry = x.conv2dSkippingPaddingTaps(w, bias: bias, o)
            let cached = GradMode.withoutGradients { x.conv2dSkippingPaddingTaps(w, bias: bias, o) }
            let again = GradMode.withoutGradients { x.conv2dSkippingPaddingTaps(w, bias: bias, o) }
            XCTAssertLessThan(viaEntry.maxAbsDifference(reference), 1e-4 * max(1, reference.maxAbs), "case \(i)")
            XCTAssertEqual(cached.data, viaEntry.data, "case \(i): the cached permutation is the same weight")
            XCTAssertEqual(again.data, viaEntry.data, "case \(i)")
        }
    }

    func testWhereRegionsAreNotTaken() {
        var rng = SeededRandom(seed: 9)
        let x = rng.normalTensor([1, 4, 32, 32]), w = rng.normalTensor([4, 4, 3, 3])
        XCTAssertNil(x.conv2dByTapRegions(w, Conv2DOptions(padding: 1)), "undilated")
        XCTAssertNil(x.conv2dByTapRegions(w, Conv2DOptions(padding: 2, dilation: 2)), "rate 2 on 32: 12 % saved")
        XCTAssertNil(x.conv2dByTapRegions(w, Conv2DOptions(stride: 2, padding: 12, dilation: 12)), "strided")
        XCTAssertNil(x.conv2dByTapRegions(rng.normalTensor([4, 2, 3, 3]), Conv2DOptions(padding: 12, dilation: 12, groups: 2)), "grouped")
    }
}
