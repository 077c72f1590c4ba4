import XCTest
@testable import LGTensor

/// The one-pass kernels inference takes instead of composed operations give
/// the composed results: pixel norm, nearest upsampling, 2x2 max pooling,
/// a LeakyReLU epilogue.
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

    /// A convolution's epilogue applied as Winograd writes the output (F(4x4)
    /// in the C kernel, F(2x2) per row) gives the bits of the separate pass;
    /// im2col applies it after.
    func testConvEpilogueWhileWritingEqualsTheSeparatePass() {
        let saved = (Winograd.minimumTiles, Winograd.minimumTilesF4, Winograd.largeTiles)
        Winograd.minimumTiles = 1; Winograd.minimumTilesF4 = 1
        defer { (Winograd.minimumTiles, Winograd.minimumTilesF4, Winograd.largeTiles) = saved }
        let x = randn([2, 16, 21, 18], seed: 21), w = randn([12, 16, 3, 3], seed: 22).scaled(0.2)
        let scale = (0..<12).map { 0.5 + Float($0) / 10 }, shift = (0..<12).map { Float($0 % 4) - 1.5 }
        for e in [ChannelEpilogue(scale: scale, shift: shift, relu: true),
                  ChannelEpilogue(scale: scale, shift: shift, relu: true, negativeSlope: 0.2),
                  ChannelEpilogue(scale: scale, shift: shift, relu: false)] {
            for (large, winograd) in [(true, true), (false, true), (true, false)] {
                Winograd.largeTiles = large
                var expect = x.conv2d(w, Conv2DOptions(padding: 1), winograd: winograd)
                expect.applyChannelEpilogue(e)
                let fused = x.conv2d(w, Conv2DOptions(padding: 1), winograd: winograd, epilogue: e)
                XCTAssertTrue(fused.data == expect.data, "relu \(e.relu) slope \(e.negativeSlope) F4 \(large) winograd \(winograd)")
            }
        }
    }

    /// Bilinear resizing runs separably: the per-pixel formula's bits
    /// forward, and its adjoint backward (<resize x, g> = <x, resize* g>).
    func testSeparableBilinearMatchesThePerPixelFormula() {
        let x = randn([2, 3, 9, 13], seed: 14)
        for (oh, ow, ac) in [(20, 31, true), (20, 31, false), (4, 5, true), (5, 6, false), (9, 40, true), (33, 13, false)] {
            let y = x.resizeBilinear(height: oh, width: ow, alignCorners: ac)
            let ty = Resize.taps(input: 9, output: oh, alignCorners: ac), tx = Resize.taps(input: 13, output: ow, alignCorners: ac)
            for p in 0..<6 { for oy in 0..<oh { for ox in 0..<ow {
                let at = { (r: Int, c: Int) in x.data[(p * 9 + r) * 13 + c] }
                let top = at(ty.i0[oy], tx.i0[ox]) + (at(ty.i0[oy], tx.i1[ox]) - at(ty.i0[oy], tx.i0[ox])) * tx.w1[ox]
                let bot = at(ty.i1[oy], tx.i0[ox]) + (at(ty.i1[oy], tx.i1[ox]) - at(ty.i1[oy], tx.i0[ox])) * tx.w1[ox]
                XCTAssertEqual(y.data[(p * oh + oy) * ow + ox], top + (bot - top) * ty.w1[oy], "\(oh)x\(ow) \(ac) at \(p), \(oy), \(ox)")
            } } }
            let g = randn(y.shape, seed: 15)
            let back = g.resizeBilinearBackward(inputHeight: 9, inputWidth: 13, alignCorners: ac)
            let lhs = zip(y.data, g.data).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let rhs = zip(x.data, back.data).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            XCTAssertEqual(lhs, rhs, accuracy: 1e-4 * max(1, abs(lhs)), "adjoint \(oh)x\(ow) \(ac)")
        }
    }

    /// Doubling takes a loop of its own; its adjoint sums each 2x2 block
    /// in the scatter's order (row by row).
    func testDoubledNearestBackwardSumsEachBlockInOrder() {
        let g = randn([2, 3, 10, 14], seed: 5)
        let b = g.resizeNearestBackward(inputHeight: 5, inputWidth: 7)
        XCTAssertEqual(b.shape, [2, 3, 5, 7])
        for p in 0..<6 { for y in 0..<5 { for x in 0..<7 {
            let at = { (yy: Int, xx: Int) in g.data[(p * 10 + yy) * 14 + xx] }
            var e: Float = 0
            e += at(2 * y, 2 * x); e += at(2 * y, 2 * x + 1); e += at(2 * y + 1, 2 * x); e += at(2 * y + 1, 2 * x + 1)
            XCTAssertEqual(b.data[(p * 5 + y) * 7 + x], e, "\(p), \(y), \(x)")
        } } }
    }

    /// 2x2 stride-2 max pooling takes a loop of its own: the same maxima and
    /// indices as the window scan (first maximum in row order wins; NaN wins).
    func testMaxPool2x2EqualsTheWindowScan() {
        var x = randn([2, 3, 7, 9], seed: 12)
        x.data[5] = x.data[4]                       // a tie
        x.data[20] = .nan
        x.data[100] = 50; x.data[101] = 50
        let (y, idx) = x.maxPool2d(kernel: 2)
        XCTAssertEqual(y.shape, [2, 3, 3, 4])
        for p in 0..<6 { for oy in 0..<3 { for ox in 0..<4 {
            var best = -Float.infinity, bi = -1
            for ky in 0..<2 { for kx in 0..<2 {
                let i = p * 63 + (2 * oy + ky) * 9 + 2 * ox + kx, v = x.data[i]
                if v > best || bi < 0 || v.isNaN { best = v; bi = i }
            } }
            let o = (p * 3 + oy) * 4 + ox
            XCTAssertEqual(Int(idx[o]), bi, "index at \(p), \(oy), \(ox)")
            XCTAssertTrue(y.data[o] == best || (y.data[o].isNaN && best.isNaN))
        } } }
    }

    /// Max pooling without indices (columns first, then across): the same
    /// values as `maxPool2d`, bit for bit, for the segmenter's 3x3 stride-2
    /// padding-1 windows, 2x2, windows larger than the stride, padding on odd
    /// sizes, planes wider than a vector, NaN, infinities and signed zeros.
    func testMaxPoolValuesEqualTheIndexedPooling() {
        var x = randn([2, 3, 11, 9], seed: 13)
        x.data[7] = .nan
        x.data[40] = -.infinity
        x.data[150] = .infinity
        // Wider than a vector, with signed zeros (the first in the window wins).
        var wide = randn([1, 2, 13, 70], seed: 14)
        wide.data[100] = .nan
        wide.data[71] = 0.0
        wide.data[72] = -0.0
        for x in [x, wide] {
            for (k, s, pad) in [(3, 2, 1), (2, 2, 0), (3, 1, 1), (4, 3, 2), (3, 2, 0), (1, 1, 0)] {
                let expected = x.maxPool2d(kernel: k, stride: s, padding: pad).0
                let y = x.maxPool2dValues(kernel: k, stride: s, padding: pad)
                XCTAssertEqual(y.shape, expected.shape, "kernel \(k) stride \(s) padding \(pad)")
                for (a, b) in zip(y.data, expected.data) {
                    XCTAssertTrue(a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN),
                                  "kernel \(k) stride \(s) padding \(pad): \(a) against \(b)")
                }
            }
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
