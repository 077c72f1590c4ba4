import CKernels
import XCTest
@testable import LGTensor

/// The fused grouped F(2x2, 3x3) (`conv2dWinogradGrouped`, `lg_wg3_run`)
/// against a float64 convolution, in both kernel variants: groups,
/// dilations 1-4 (and one wider than the map, whose phases are partly
/// empty), odd and oblong maps, channel counts off the vector width and the
/// panel width, input channels over one k block, several samples, more
/// tiles than one block, a bias and each epilogue mode.
final class WinogradGroupedTests: XCTestCase {
    struct Case {
        let n, cin, cout, groups, h, w, dilation: Int
    }

    let cases = [
        Case(n: 1, cin: 16, cout: 32, groups: 1, h: 8, w: 8, dilation: 1),
        Case(n: 2, cin: 10, cout: 12, groups: 2, h: 7, w: 9, dilation: 1),
        Case(n: 1, cin: 64, cout: 96, groups: 2, h: 16, w: 16, dilation: 2),
        Case(n: 3, cin: 12, cout: 40, groups: 4, h: 11, w: 6, dilation: 3),
        Case(n: 1, cin: 32, cout: 48, groups: 2, h: 13, w: 17, dilation: 4),
        Case(n: 1, cin: 6, cout: 5, groups: 1, h: 3, w: 5, dilation: 4),
        Case(n: 1, cin: 600, cout: 34, groups: 2, h: 6, w: 6, dilation: 1),
        Case(n: 2, cin: 8, cout: 16, groups: 1, h: 40, w: 36, dilation: 2),
        Case(n: 1, cin: 128, cout: 32, groups: 2, h: 24, w: 24, dilation: 1),
    ]

    /// float64 conv2d (+ bias, then the epilogue) of x under `o`.
    func reference(_ x: Tensor, _ w: Tensor, _ bias: [Float]?, _ o: Conv2DOptions, _ e: ChannelEpilogue?)
        -> (values: [Double], magnitude: [Double]) {
        let n = x.shape[0], cin = x.shape[1], h = x.shape[2], wd = x.shape[3], cout = w.shape[0]
        let cg = cin / o.groups, og = cout / o.groups, d = o.dilation.h
        var out = [Double](repeating: 0, count: n * cout * h * wd), mag = out
        for b in 0..<n {
            for j in 0..<cout {
                let g = j / og
                for y in 0..<h {
                    for xx in 0..<wd {
                        var s = Double(bias?[j] ?? 0), m = abs(s)
                        for c in 0..<cg {
                            for ky in 0..<3 {
                                let iy = y - d + ky * d
                                guard iy >= 0 && iy < h else { continue }
                                for kx in 0..<3 {
                                    let ix = xx - d + kx * d
                                    guard ix >= 0 && ix < wd else { continue }
                                    let p = Double(w.data[((j * cg + c) * 3 + ky) * 3 + kx]) * Double(x.data[((b * cin + g * cg + c) * h + iy) * wd + ix])
                                    s += p; m += abs(p)
                                }
                            }
                        }
                        if let e {
                            s = s * Double(e.scale[j]) + Double(e.shift[j]); m *= abs(Double(e.scale[j]))
                            if e.relu { s = e.negativeSlope == 0 ? max(s, 0) : (s >= 0 ? s : s * Double(e.negativeSlope)) }
                        }
                        let i = ((b * cout + j) * h + y) * wd + xx
                        out[i] = s; mag[i] = m + abs(Double(e?.shift[j] ?? 0))
                    }
                }
            }
        }
        return (out, mag)
    }

    func testMatchesAFloat64ConvolutionInEachVariant() throws {
        let variants = KernelISA.supported.filter { lg_sgemm_available($0.c) != 0 }
        try XCTSkipIf(variants.isEmpty, "this CPU has neither AVX2 nor AVX-512")
        for (i, t) in cases.enumerated() {
            var rng = SeededRandom(seed: UInt64(300 + i))
            let x = Tensor(shape: [t.n, t.cin, t.h, t.w], data: (0..<(t.n * t.cin * t.h * t.w)).map { _ in Float(rng.normal()) })
            let w = Tensor(shape: [t.cout, t.cin / t.groups, 3, 3], data: (0..<(t.cout * t.cin / t.groups * 9)).map { _ in Float(rng.normal()) })
            let bias = (0..<t.cout).map { _ in Float(rng.normal()) }
            let o = Conv2DOptions(stride: 1, padding: t.dilation, dilation: t.dilation, groups: t.groups)
            let epilogues: [ChannelEpilogue?] = [
                nil,
                ChannelEpilogue(scale: (0..<t.cout).map { _ in Float(rng.normal()) }, shift: (0..<t.cout).map { _ in Float(rng.normal()) }, relu: false),
                ChannelEpilogue(scale: (0..<t.cout).map { _ in Float(rng.normal()) }, shift: (0..<t.cout).map { _ in Float(rng.normal()) }, relu: true),
                ChannelEpilogue(scale: (0..<t.cout).map { _ in Float(rng.normal()) }, shift: (0..<t.cout).map { _ in Float(rng.normal()) }, relu: true, negativeSlope: 0.2),
            ]
            for (k, e) in epilogues.enumerated() {
                let withBias = k % 2 == 0 ? bias : nil
                let ref = reference(x, w, withBias, o, e)
                for v in variants {
                    let y = try XCTUnwrap(x.conv2dWinogradGrouped(w, bias: withBias.map { Tensor(shape: [t.cout], data: $0) }, o,
                                                                  epilogue: e, variant: v), "case \(i) \(v): did not run")
                    XCTAssertEqual(y.shape, [t.n, t.cout, t.h, t.w])
                    var worst = 0.0
                    for j in 0..<y.count { worst = max(worst, abs(Double(y.data[j]) - ref.values[j]) / (1 + ref.magnitude[j])) }
                    XCTAssertLessThan(worst, 1e-6, "case \(i), epilogue \(k), \(v)")
                }
            }
        }
    }

    func testBlocksOfRowGroupsGiveTheSameBits() throws {
        guard let isa = WinogradGrouped.isa() else { throw XCTSkip("no AVX2 / AVX-512 kernel") }
        // 41 x 36 at dilation 2: 21 row groups, several per block for 64
        // channels; block by block against row group by row group.
        let cin = 64, cout = 16, h = 41, w = 36, d = 2, hw = h * w
        var rng = SeededRandom(seed: 7)
        let x = (0..<(hw * cin)).map { _ in Float(rng.normal()) }
        let wt = (0..<(cout * cin * 9)).map { _ in Float(rng.normal()) }
        let uCount = lg_wg3_weight_floats(isa, cout, cin)
        let u = UnsafeMutableRawPointer.allocate(byteCount: uCount * 4, alignment: 64).bindMemory(to: Float.self, capacity: uCount)
        defer { u.deallocate() }
        XCTAssertEqual(lg_wg3_pack_weights(isa, wt, cout, cin, u), 1)
        let groups = lg_wg3_row_groups(h, d), block = lg_wg3_block_row_groups(isa, cin, w, d)
        XCTAssertEqual(groups, 21)
        XCTAssertGreaterThan(block, 1)
        XCTAssertLessThan(block, groups)
        var whole = [Float](repeating: .nan, count: hw * cout), single = whole
        var r0 = 0
        while r0 < groups {
            let nr = min(block, groups - r0)
            XCTAssertEqual(lg_wg3_run(isa, x, hw, h, w, d, cin, u, cout, r0, nr, &whole, hw, 0, nil, nil, 0), 1)
            r0 += nr
        }
        for r in 0..<groups {
            XCTAssertEqual(lg_wg3_run(isa, x, hw, h, w, d, cin, u, cout, r, 1, &single, hw, 0, nil, nil, 0), 1)
        }
        XCTAssertEqual(whole, single)
        XCTAssertFalse(whole.contains { $0.isNaN }, "every output written")
        // Out of range, or a weight not 64-byte aligned: nothing computed.
        XCTAssertEqual(lg_wg3_run(isa, x, hw, h, w, d, cin, u, cout, groups - 1, 2, &whole, hw, 0, nil, nil, 0), 0)
        XCTAssertEqual(lg_wg3_run(isa, x, hw, h, w, d, cin, u, cout, 0, block + 1, &whole, hw, 0, nil, nil, 0), 0)
        XCTAssertEqual(lg_wg3_run(isa, x, hw, h, w, d, cin, u + 1, cout, 0, 1, &whole, hw, 0, nil, nil, 0), 0)
    }

    func testDoesNotApplyOutsideItsShape() {
        let x = [1, 4, 8, 8], w = [4, 4, 3, 3]
        XCTAssertFalse(WinogradGrouped.applies(x, w, Conv2DOptions(stride: 2, padding: 1)))
        XCTAssertFalse(WinogradGrouped.applies(x, w, Conv2DOptions(stride: 1, padding: 2, dilation: 1)))
        XCTAssertFalse(WinogradGrouped.applies(x, [4, 4, 5, 5], Conv2DOptions(stride: 1, padding: 1)))
        XCTAssertFalse(WinogradGrouped.applies(x, [4, 2, 3, 3], Conv2DOptions(stride: 1, padding: 1, groups: 1)))
        XCTAssertEqual(WinogradGrouped.applies(x, w, Conv2DOptions(stride: 1, padding: 1)), WinogradGrouped.isa() != nil)
    }
}
