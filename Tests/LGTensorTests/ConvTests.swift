import XCTest
@testable import LGTensor

/// Direct (loop) convolution used as an independent reference.
func naiveConv2d(_ x: Tensor, _ w: Tensor, _ o: Conv2DOptions) -> Tensor {
    let n = x.shape[0], cin = x.shape[1], h = x.shape[2], wd = x.shape[3]
    let cout = w.shape[0], cinG = w.shape[1], kh = w.shape[2], kw = w.shape[3], g = o.groups
    let oh = (h + 2 * o.padding.h - o.dilation.h * (kh - 1) - 1) / o.stride.h + 1
    let ow = (wd + 2 * o.padding.w - o.dilation.w * (kw - 1) - 1) / o.stride.w + 1
    var y = Tensor(zeros: [n, cout, oh, ow])
    for b in 0..<n { for co in 0..<cout {
        let gi = co / (cout / g)
        for oy in 0..<oh { for ox in 0..<ow {
            var s: Float = 0
            for ci in 0..<cinG { for i in 0..<kh { for j in 0..<kw {
                let iy = oy * o.stride.h - o.padding.h + i * o.dilation.h
                let ix = ox * o.stride.w - o.padding.w + j * o.dilation.w
                if iy < 0 || iy >= h || ix < 0 || ix >= wd { continue }
                s += x[b, gi * cinG + ci, iy, ix] * w[co, ci, i, j]
            } } }
            y[b, co, oy, ox] = s
        } }
    } }
    _ = cin
    return y
}

final class ConvTests: XCTestCase {
    func testConv2dMatchesNaive() {
        let cases: [(x: [Int], w: [Int], o: Conv2DOptions)] = [
            ([2, 3, 7, 6], [4, 3, 3, 3], .init(padding: 1)),
            ([3, 4, 9, 9], [6, 2, 3, 2], .init(stride: (2, 1), padding: (1, 0), dilation: (1, 2), groups: 2)),
            ([1, 5, 5, 5], [3, 5, 1, 1], .init()),
            ([4, 2, 4, 4], [2, 1, 3, 3], .init(stride: 2, padding: 2, dilation: 2, groups: 2)),
            // Stride 2 without dilation (im2colStride2): DCGAN's 4x4 layers,
            // odd widths, wide rows (the eight-lane split), paddings 0-3.
            ([2, 3, 8, 8], [4, 3, 4, 4], .init(stride: 2, padding: 1)),
            ([1, 2, 5, 37], [3, 2, 4, 4], .init(stride: 2, padding: 1)),
            ([2, 2, 6, 35], [2, 2, 3, 5], .init(stride: (1, 2), padding: (1, 3))),
            ([1, 3, 4, 34], [2, 3, 2, 3], .init(stride: 2, padding: 0)),
            ([1, 1, 3, 3], [1, 1, 1, 2], .init(stride: 2, padding: 2)),
        ]
        for (i, c) in cases.enumerated() {
            let x = randn(c.x, seed: UInt64(i + 1)), w = randn(c.w, seed: UInt64(i + 10))
            assertClose(x.conv2d(w, c.o), naiveConv2d(x, w, c.o), atol: 1e-4)
        }
    }

    func testConv2dGradients() {
        gradCheck([randn([2, 4, 5, 5]), randn([6, 2, 3, 3], seed: 2), randn([6], seed: 3)]) { v in
            v[0].conv2d(v[1], bias: v[2], .init(stride: 2, padding: 1, dilation: 1, groups: 2))
        }
        gradCheck([randn([1, 3, 6, 5]), randn([2, 3, 2, 3], seed: 4)]) { v in
            v[0].conv2d(v[1], .init(stride: (1, 2), padding: (2, 1), dilation: (2, 1)))
        }
    }

    func testConvTransposeIsAdjointOfConv() {
        // <conv(x), y> == <x, convT(y)> for the same weight.
        let o = Conv2DOptions(stride: 2, padding: 1, groups: 2)
        let x = randn([2, 4, 8, 8]), w = randn([6, 2, 4, 4], seed: 2)
        let y = x.conv2d(w, o)
        let r = randn(y.shape, seed: 3)
        let xt = r.convTranspose2d(w, ConvTranspose2DOptions(stride: 2, padding: 1, groups: 2))
        XCTAssertEqual(xt.shape, x.shape)
        XCTAssertEqual(Double((y * r).sumAll()), Double((x * xt).sumAll()), accuracy: 1e-3)
    }

    func testConvTransposeGradientsAndOutputPadding() {
        gradCheck([randn([2, 4, 3, 3]), randn([4, 3, 4, 4], seed: 2), randn([3], seed: 3)]) { v in
            v[0].convTranspose2d(v[1], bias: v[2], .init(stride: 2, padding: 1))
        }
        gradCheck([randn([1, 4, 3, 2]), randn([4, 1, 3, 3], seed: 5)]) { v in
            v[0].convTranspose2d(v[1], .init(stride: 2, padding: 1, outputPadding: 1, groups: 2))
        }
        let y = randn([1, 2, 3, 3]).convTranspose2d(randn([2, 1, 3, 3]), .init(stride: 2, padding: 1, outputPadding: 1))
        XCTAssertEqual(y.shape, [1, 1, 6, 6])
    }

    func testDenseTransposedConvMatchesGeneralPath() {
        // A 1x1 input (DCGAN's first layer) takes the single-GEMM path; the
        // same op with a zero-padded 3x3 input and padding cropping it back
        // must agree, and gradients must check.
        let x = randn([3, 5, 1, 1]), w = randn([5, 4, 4, 4], seed: 2)
        let dense = x.convTranspose2d(w, .init(stride: 1, padding: 0))
        XCTAssertEqual(dense.shape, [3, 4, 4, 4])
        for n in 0..<3 { for co in 0..<4 { for i in 0..<4 { for j in 0..<4 {
            var s: Float = 0
            for ci in 0..<5 { s += x[n, ci, 0, 0] * w[ci, co, i, j] }
            XCTAssertEqual(dense[n, co, i, j], s, accuracy: 1e-5)
        } } } }
        gradCheck([randn([2, 3, 1, 1]), randn([3, 2, 4, 4], seed: 3), randn([2], seed: 4)]) { v in
            v[0].convTranspose2d(v[1], bias: v[2], .init(stride: 1, padding: 0))
        }
    }

    func testRowTilingMatchesUntiled() {
        let x = randn([1, 4, 9, 7]), w = randn([6, 2, 3, 3], seed: 2), gy = randn([1, 6, 5, 4], seed: 3)
        let o = Conv2DOptions(stride: 2, padding: 1, groups: 2)
        let y = x.conv2d(w, o)
        let (gx, gw) = x.conv2dBackward(w, gy, o)
        let saved = ConvGeometry.tileBudget
        ConvGeometry.tileBudget = 40  // two output rows per tile
        defer { ConvGeometry.tileBudget = saved }
        assertClose(x.conv2d(w, o), y, atol: 1e-5)
        let (gx2, gw2) = x.conv2dBackward(w, gy, o)
        assertClose(gx2!, gx!, atol: 1e-5)
        assertClose(gw2!, gw!, atol: 1e-5)
        assertClose(y, naiveConv2d(x, w, o), atol: 1e-4)
    }

    func testBatchedChunksAgreeWithSingleSamples() {
        // Large batch of tiny maps takes the multi-sample GEMM path.
        let x = randn([40, 3, 2, 2]), w = randn([3, 5, 4, 4], seed: 7)
        let o = ConvTranspose2DOptions(stride: 2, padding: 1)
        let all = x.convTranspose2d(w, o)
        for b in [0, 17, 39] {
            let one = x.slice(axis: 0, b..<(b + 1)).convTranspose2d(w, o)
            assertClose(all.slice(axis: 0, b..<(b + 1)), one, atol: 1e-5)
        }
        let c = randn([40, 3, 4, 4], seed: 8), k = randn([5, 3, 3, 3], seed: 9)
        let call = c.conv2d(k, .init(padding: 1))
        assertClose(call.slice(axis: 0, 33..<34), c.slice(axis: 0, 33..<34).conv2d(k, .init(padding: 1)), atol: 1e-5)
    }

    /// The phase-wise fold of 4x4 stride-2 padding-1 transposed
    /// convolutions against the generic col2im: 1-5 positions a side
    /// (square, oblong, one), several channels, an image that already holds
    /// values (col2im accumulates).
    func testStride2Kernel4FoldMatchesCol2im() {
        for (i, (c, h, w)) in [(1, 1, 1), (3, 2, 3), (2, 5, 4), (3, 4, 4)].enumerated() {
            let geo = ConvGeometry(channels: c, height: 2 * h, width: 2 * w, kernelH: 4, kernelW: 4,
                                   strideH: 2, strideW: 2, padH: 1, padW: 1)
            XCTAssertTrue(geo.isStride2Kernel4, "case \(i)")
            XCTAssertEqual(geo.outH, h)
            let cols = randn([geo.rows, h * w], seed: UInt64(60 + i))
            let start = randn([c, 2 * h, 2 * w], seed: UInt64(70 + i))
            var expected = start.data, folded = start.data
            cols.data.withUnsafeBufferPointer { cp in
                expected.withUnsafeMutableBufferPointer { geo.col2im(cp.baseAddress!, ld: h * w, $0.baseAddress!) }
                folded.withUnsafeMutableBufferPointer { geo.fold(cp.baseAddress!, ld: h * w, $0.baseAddress!) }
            }
            for (a, b) in zip(folded, expected) { XCTAssertEqual(a, b, accuracy: 1e-5, "case \(i)") }
            // Overwriting: whatever the image held is replaced by the fold
            // alone (col2im into zeros).
            var fromZero = [Float](repeating: 0, count: start.count), overwritten = start.data
            cols.data.withUnsafeBufferPointer { cp in
                fromZero.withUnsafeMutableBufferPointer { geo.col2im(cp.baseAddress!, ld: h * w, $0.baseAddress!) }
                overwritten.withUnsafeMutableBufferPointer { geo.fold(cp.baseAddress!, ld: h * w, $0.baseAddress!, overwrite: true) }
            }
            for (a, b) in zip(overwritten, fromZero) { XCTAssertEqual(a, b, accuracy: 1e-5, "case \(i), overwrite") }
        }
        XCTAssertFalse(ConvGeometry(channels: 1, height: 8, width: 8, kernelH: 4, kernelW: 4, strideH: 2, strideW: 2,
                                    padH: 0, padW: 0).isStride2Kernel4)
    }

    func testWinogradTransposedF4MatchesDirect() {
        // Inputs whose sides are multiples of 4 take F(4x4, 2x2) per phase
        // once there are enough tiles: it must match the im2col + col2im
        // path (and F(2x2, 2x2)) for one tile per sample, oblong inputs,
        // batches, and chunks of one sample (budget 40,000 floats).
        let saved = (Winograd.transposedChunkBudget, Winograd.minimumTransposedTiles,
                     Winograd.minimumTransposedTilesF4, Winograd.policy)
        Winograd.minimumTransposedTiles = 1
        Winograd.minimumTransposedTilesF4 = 1
        Winograd.policy = .inference
        defer {
            (Winograd.transposedChunkBudget, Winograd.minimumTransposedTiles, Winograd.minimumTransposedTilesF4, Winograd.policy) = saved
            Winograd.enabled = true; Winograd.largeTiles = true
        }
        let o = ConvTranspose2DOptions(stride: 2, padding: 1)
        for (i, (xs, cout, budget)) in [([2, 32, 4, 4], 40, 1 << 21), ([1, 40, 8, 12], 32, 1 << 21),
                                        ([3, 33, 4, 8], 36, 40_000)].enumerated() {
            Winograd.transposedChunkBudget = budget
            let x = randn(xs, seed: UInt64(i + 21)), w = randn([xs[1], cout, 4, 4], seed: UInt64(i + 50)), b = randn([cout], seed: 7)
            XCTAssertTrue(Winograd.appliesTransposed(x.shape, w.shape, o) && Winograd.useTransposedF4(x.shape, cout: cout), "case \(i)")
            let f4 = x.convTranspose2d(w, bias: b, o)
            Winograd.largeTiles = false
            let f2 = x.convTranspose2d(w, bias: b, o)
            Winograd.largeTiles = true
            Winograd.enabled = false
            let direct = x.convTranspose2d(w, bias: b, o)
            Winograd.enabled = true
            XCTAssertEqual(f4.shape, [xs[0], cout, 2 * xs[2], 2 * xs[3]])
            assertClose(f4, direct, atol: 1e-3)
            assertClose(f2, direct, atol: 1e-3)
        }
        XCTAssertFalse(Winograd.useTransposedF4([4, 64, 6, 8], cout: 64), "sides must be multiples of 4")
        Winograd.minimumTransposedTilesF4 = saved.2
        XCTAssertFalse(Winograd.useTransposedF4([1, 64, 8, 8], cout: 64), "too few tiles for the default threshold")
        XCTAssertTrue(Winograd.useTransposedF4([64, 256, 8, 8], cout: 128), "DCGAN-64's 8 px layer")
        XCTAssertTrue(Winograd.useTransposedF4([64, 128, 16, 16], cout: 64), "DCGAN-64's 16 px layer")
        XCTAssertFalse(Winograd.useTransposedF4([64, 512, 4, 4], cout: 256), "DCGAN-64's 4 px layer: U too large for 64 tiles")
        XCTAssertTrue(Winograd.useTransposedF4([128, 512, 4, 4], cout: 256), "the same at batch 128")
    }

    func testWinogradTransposedMatchesDirect() {
        // 4x4 stride-2 padding-1 transposed convolutions with enough channels
        // take F(2x2, 2x2) per output phase; the result must match the
        // im2col + col2im path for square and oblong inputs, batches, and
        // chunks of whole samples (budget 3000 floats: one sample each).
        let saved = (Winograd.transposedChunkBudget, Winograd.minimumTransposedTiles, Winograd.policy)
        Winograd.minimumTransposedTiles = 1
        Winograd.policy = .inference
        defer { (Winograd.transposedChunkBudget, Winograd.minimumTransposedTiles, Winograd.policy) = saved; Winograd.enabled = true }
        let o = ConvTranspose2DOptions(stride: 2, padding: 1)
        for (i, (xs, cout, budget)) in [([2, 32, 4, 4], 40, 1 << 21), ([1, 48, 6, 10], 32, 3000),
                                        ([3, 36, 2, 8], 33, 3000)].enumerated() {
            Winograd.transposedChunkBudget = budget
            let x = randn(xs, seed: UInt64(i + 11)), w = randn([xs[1], cout, 4, 4], seed: UInt64(i + 40)), b = randn([cout], seed: 7)
            XCTAssertTrue(Winograd.appliesTransposed(x.shape, w.shape, o), "case \(i)")
            Winograd.enabled = true
            let y = x.convTranspose2d(w, bias: b, o)
            Winograd.enabled = false
            let y2 = x.convTranspose2d(w, bias: b, o)
            XCTAssertEqual(y.shape, [xs[0], cout, 2 * xs[2], 2 * xs[3]])
            XCTAssertEqual(y.shape, y2.shape)
            assertClose(y, y2, atol: 1e-3)
            Winograd.enabled = true
            // Where gradients are recorded the default policy keeps the direct form (same bits as disabled).
            let xv = Variable(x, requiresGrad: true)
            XCTAssertEqual(xv.convTranspose2d(Variable(w), bias: Variable(b), o).value, y2, "case \(i)")
        }
        // Not for other strides, paddings or kernels, odd sizes, groups or thin layers.
        XCTAssertFalse(Winograd.appliesTransposed([1, 64, 4, 4], [64, 64, 4, 4], .init(stride: 2, padding: 0)))
        XCTAssertFalse(Winograd.appliesTransposed([1, 64, 4, 4], [64, 64, 3, 3], .init(stride: 2, padding: 1)))
        XCTAssertFalse(Winograd.appliesTransposed([1, 64, 5, 4], [64, 64, 4, 4], o))
        XCTAssertFalse(Winograd.appliesTransposed([1, 64, 4, 4], [64, 32, 4, 4], .init(stride: 2, padding: 1, groups: 2)))
        XCTAssertFalse(Winograd.appliesTransposed([1, 64, 4, 4], [64, 3, 4, 4], o))
        Winograd.minimumTransposedTiles = saved.1
        XCTAssertFalse(Winograd.appliesTransposed([1, 64, 4, 4], [64, 64, 4, 4], o))
        XCTAssertTrue(Winograd.appliesTransposed([64, 512, 4, 4], [512, 256, 4, 4], o))
    }

    func testWinogradMatchesIm2col() {
        // 3x3 stride-1 convolutions with enough channels take F(2x2, 3x3);
        // forward and both gradients (the weight gradient by its own F(2x2, 3x3)
        // form) must match the im2col path, for odd and
        // even sizes, paddings 0-2, batches, and chunks that split the tiles.
        let saved = (Winograd.chunkBudget, Winograd.minimumTiles, Winograd.policy)
        Winograd.minimumTiles = 1
        Winograd.policy = .always  // the backward too
        defer { (Winograd.chunkBudget, Winograd.minimumTiles, Winograd.policy) = saved; Winograd.enabled = true }
        for (i, (xs, cout, pad, budget)) in [([2, 32, 9, 7], 40, 1, 1 << 21), ([1, 48, 16, 16], 32, 1, 3000),
                                             ([3, 32, 6, 11], 32, 0, 1 << 21), ([1, 32, 5, 8], 36, 2, 5000)].enumerated() {
            Winograd.chunkBudget = budget
            let x = randn(xs, seed: UInt64(i + 1)), w = randn([cout, xs[1], 3, 3], seed: UInt64(i + 30)), b = randn([cout], seed: 9)
            let o = Conv2DOptions(padding: pad)
            XCTAssertTrue(Winograd.applies(x.shape, w.shape, o), "case \(i)")
            Winograd.enabled = true
            let y = x.conv2d(w, bias: b, o)
            let gy = randn(y.shape, seed: UInt64(i + 60))
            let (gx, gw) = x.conv2dBackward(w, gy, o)
            let weightOnly = x.conv2dBackward(w, gy, o, needInput: false)
            XCTAssertNil(weightOnly.input)
            assertClose(weightOnly.weight!, gw!, atol: 0)
            Winograd.enabled = false
            let y2 = x.conv2d(w, bias: b, o)
            let (gx2, gw2) = x.conv2dBackward(w, gy, o)
            XCTAssertEqual(y.shape, y2.shape)
            assertClose(y, y2, atol: 1e-3)
            assertClose(gx!, gx2!, atol: 1e-3)
            assertClose(gw!, gw2!, atol: 1e-3)
            Winograd.enabled = true
        }
        // The policy: by default not where gradients are recorded.
        Winograd.policy = .inference
        XCTAssertTrue(Winograd.allowed(training: false))
        XCTAssertFalse(Winograd.allowed(training: true))
        Winograd.policy = .off
        XCTAssertFalse(Winograd.allowed(training: false))
        // Not for strides, dilations, groups, 1x1 kernels, thin layers or few tiles.
        Winograd.minimumTiles = saved.1
        XCTAssertFalse(Winograd.applies([1, 64, 16, 16], [64, 64, 3, 3], .init(padding: 1)))
        XCTAssertTrue(Winograd.applies([1, 64, 32, 32], [64, 64, 3, 3], .init(padding: 1)))
        XCTAssertTrue(Winograd.applies([4, 64, 16, 16], [64, 64, 3, 3], .init(padding: 1)))
        XCTAssertFalse(Winograd.applies([1, 64, 16, 16], [64, 64, 3, 3], .init(stride: 2, padding: 1)))
        XCTAssertFalse(Winograd.applies([1, 64, 16, 16], [64, 64, 3, 3], .init(padding: 2, dilation: 2)))
        XCTAssertFalse(Winograd.applies([1, 64, 16, 16], [64, 32, 3, 3], .init(padding: 1, groups: 2)))
        XCTAssertFalse(Winograd.applies([1, 64, 16, 16], [64, 64, 1, 1], .init()))
        XCTAssertFalse(Winograd.applies([1, 8, 16, 16], [64, 8, 3, 3], .init(padding: 1)))
    }
    func testWinogradF4MatchesIm2col() {
        // Large maps take F(4x4, 3x3): forward and both gradients against
        // im2col, for sizes that are not multiples of 4 (partial edge tiles),
        // paddings 0-2, batches, and chunks that split the tiles.
        let saved = (Winograd.chunkBudget, Winograd.minimumTiles, Winograd.minimumTilesF4, Winograd.policy)
        Winograd.minimumTiles = 1
        Winograd.minimumTilesF4 = 1
        Winograd.policy = .always
        defer {
            (Winograd.chunkBudget, Winograd.minimumTiles, Winograd.minimumTilesF4, Winograd.policy) = saved
            Winograd.enabled = true; Winograd.largeTiles = true
        }
        for (i, (xs, cout, pad, budget)) in [([2, 32, 9, 10], 40, 1, 1 << 21), ([1, 48, 16, 16], 32, 1, 4000),
                                             ([3, 32, 10, 13], 32, 0, 1 << 21), ([1, 32, 11, 8], 36, 2, 9000),
                                             ([1, 64, 33, 35], 64, 1, 1 << 21),
                                             // Few channels (PGGAN's top layer, NSE-2's class head).
                                             ([2, 8, 21, 19], 8, 1, 1 << 21), ([1, 16, 18, 17], 15, 2, 5000)].enumerated() {
            Winograd.chunkBudget = budget
            let x = randn(xs, seed: UInt64(i + 1)), w = randn([cout, xs[1], 3, 3], seed: UInt64(i + 30)), b = randn([cout], seed: 9)
            let o = Conv2DOptions(padding: pad)
            let ho = xs[2] + 2 * pad - 2, wo = xs[3] + 2 * pad - 2
            XCTAssertTrue(Winograd.applies(x.shape, w.shape, o), "case \(i)")
            XCTAssertTrue(Winograd.useF4(batch: xs[0], outH: ho, outW: wo), "case \(i)")
            Winograd.enabled = true
            let y = x.conv2d(w, bias: b, o)
            let gy = randn(y.shape, seed: UInt64(i + 60))
            let (gx, gw) = x.conv2dBackward(w, gy, o)
            Winograd.enabled = false
            let y2 = x.conv2d(w, bias: b, o)
            let (gx2, gw2) = x.conv2dBackward(w, gy, o)
            XCTAssertEqual(y.shape, y2.shape)
            // Values are sums of 9 Cin products of unit normals (about 15-25 in size).
            assertClose(y, y2, atol: 2e-3)
            assertClose(gx!, gx2!, atol: 2e-3)
            // Weight gradients sum over every position of the batch (hundreds).
            assertClose(gw!, gw2!, atol: 2e-2)
            // F(2x2, 3x3) for comparison: the same within rounding.
            Winograd.enabled = true; Winograd.largeTiles = false
            assertClose(x.conv2d(w, bias: b, o), y, atol: 2e-3)
            Winograd.largeTiles = true
            // The plane GEMMs one after another (each across OpenBLAS's
            // threads) instead of across cores: the same products, blocked
            // differently by OpenBLAS (float32 rounding only).
            Winograd.gemmsAcrossCores = false
            assertClose(x.conv2d(w, bias: b, o), y, atol: 2e-3)
            assertClose(x.conv2dBackward(w, gy, o).weight!, gw!, atol: 2e-2)
            Winograd.gemmsAcrossCores = true
        }
        Winograd.minimumTilesF4 = saved.2
        // Below `minimumChannels` each way, im2col.
        XCTAssertFalse(Winograd.applies([1, 7, 64, 64], [8, 7, 3, 3], Conv2DOptions(padding: 1)))
        XCTAssertFalse(Winograd.applies([1, 8, 64, 64], [7, 8, 3, 3], Conv2DOptions(padding: 1)))
        // By default where its 36 GEMMs get at least 64 columns.
        XCTAssertFalse(Winograd.useF4(batch: 1, outH: 16, outW: 16))
        XCTAssertTrue(Winograd.useF4(batch: 1, outH: 32, outW: 32))
        XCTAssertTrue(Winograd.useF4(batch: 16, outH: 32, outW: 32))
        XCTAssertFalse(Winograd.useF4(batch: 64, outH: 4, outW: 4))
        Winograd.largeTiles = false
        XCTAssertFalse(Winograd.useF4(batch: 1, outH: 256, outW: 256))
    }

    func testScratchPoolReusesAndSeparates() {
        let pool = ScratchPool(keep: 2)
        var first: UnsafeMutablePointer<Float>?
        pool.with([1000]) { b in first = b[0]; b[0][999] = 1 }
        XCTAssertEqual(pool.heldFloats, 1000)
        // A smaller request reuses the free buffer; a nested one gets its own.
        pool.with([500]) { outer in
            XCTAssertEqual(outer[0], first)
            pool.with([500]) { inner in XCTAssertNotEqual(inner[0], outer[0]) }
        }
        XCTAssertEqual(pool.heldFloats, 1500)
        // Beyond `keep`, the smallest buffers are released.
        pool.with([10, 20, 3000]) { b in XCTAssertEqual(Set(b.map { $0 }).count, 3) }
        XCTAssertLessThanOrEqual(pool.heldFloats, 4000)
        XCTAssertGreaterThanOrEqual(pool.heldFloats, 3000)
    }

    func testChannelSumsMatchNaive() {
        // Bias gradients: per-channel sums over batch and positions, in eight
        // lanes and across cores, against a double-precision sum.
        for shape in [[3, 5, 7, 11], [2, 40, 64, 64], [1, 3, 1, 1]] {
            let t = randn(shape, seed: UInt64(shape[1]))
            let sums = t.channelSums()
            let (n, c) = (shape[0], shape[1]), p = t.count / (n * c)
            for j in 0..<c {
                var e = 0.0
                for i in 0..<n { for q in 0..<p { e += Double(t.data[(i * c + j) * p + q]) } }
                XCTAssertEqual(Double(sums.data[j]), e, accuracy: 1e-5 * Double(p * n).squareRoot() + 1e-6, "\(shape) channel \(j)")
            }
        }
    }
}
