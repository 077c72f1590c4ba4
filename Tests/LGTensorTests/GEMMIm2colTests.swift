import CKernels
import XCTest
@testable import LGTensor

/// The own sgemm with B the unfolded input of a convolution
/// (`lg_sgemm_im2col`, `GEMMKernel.runIm2col`): against a float64 product
/// with the matrix `ConvGeometry.im2col` writes, in both variants, for
/// strides, paddings wider than the kernel's reach, dilations, oblong
/// kernels, outputs narrower and wider than a panel, several samples, k
/// over one block, and column ranges that start inside an output row.
final class GEMMIm2colTests: XCTestCase {
    struct Case {
        let c, h, w, kh, kw, stride, pad, dilation, samples, m: Int
    }

    let cases = [
        Case(c: 3, h: 9, w: 10, kh: 3, kw: 3, stride: 1, pad: 1, dilation: 1, samples: 2, m: 13),
        Case(c: 5, h: 11, w: 7, kh: 3, kw: 3, stride: 2, pad: 1, dilation: 1, samples: 1, m: 5),
        Case(c: 4, h: 16, w: 16, kh: 3, kw: 3, stride: 1, pad: 2, dilation: 2, samples: 3, m: 40),
        Case(c: 2, h: 5, w: 40, kh: 1, kw: 3, stride: 1, pad: 1, dilation: 1, samples: 2, m: 12),
        Case(c: 3, h: 12, w: 12, kh: 5, kw: 5, stride: 1, pad: 6, dilation: 3, samples: 1, m: 17),
        Case(c: 6, h: 9, w: 9, kh: 1, kw: 1, stride: 2, pad: 0, dilation: 1, samples: 2, m: 7),
        Case(c: 30, h: 8, w: 36, kh: 3, kw: 3, stride: 1, pad: 1, dilation: 1, samples: 1, m: 25),
        Case(c: 3, h: 7, w: 70, kh: 4, kw: 4, stride: 2, pad: 1, dilation: 1, samples: 2, m: 9),
    ]

    /// Checks columns [col0, col0 + n) of each case (every column, then a
    /// range starting inside an output row) through `product`, which
    /// writes C = A B (m x n, ldc n) for the unfolded input.
    func check(_ product: (Case, ConvGeometry, [Float], [Float], Int, Int, inout [Float]) -> Bool,
               file: StaticString = #filePath, line: UInt = #line) {
        for (i, t) in cases.enumerated() {
            let geo = ConvGeometry(channels: t.c, height: t.h, width: t.w, kernelH: t.kh, kernelW: t.kw,
                                   strideH: t.stride, strideW: t.stride, padH: t.pad, padW: t.pad,
                                   dilationH: t.dilation, dilationW: t.dilation)
            let k = geo.rows, p = geo.positions, columns = t.samples * p
            var rng = SeededRandom(seed: UInt64(100 + i))
            let image = (0..<(t.samples * t.c * t.h * t.w)).map { _ in Float(rng.normal()) }
            let a = (0..<(t.m * k)).map { _ in Float(rng.normal()) }
            // The unfolded matrix, k x (samples p), as the convolution writes it.
            var cols = [Float](repeating: .nan, count: k * columns)
            image.withUnsafeBufferPointer { ip in
                cols.withUnsafeMutableBufferPointer { cp in
                    for s in 0..<t.samples {
                        geo.im2col(ip.baseAddress! + s * t.c * t.h * t.w, cp.baseAddress! + s * p, ld: columns)
                    }
                }
            }
            for (col0, n) in [(0, columns), (min(columns - 1, geo.outW / 2 + 1), columns - min(columns - 1, geo.outW / 2 + 1))] {
                var out = [Float](repeating: .nan, count: t.m * n)
                XCTAssertTrue(product(t, geo, image, a, col0, n, &out), "case \(i): no own kernel ran", file: file, line: line)
                var worst = 0.0
                for r in 0..<t.m {
                    for j in 0..<n {
                        var s = 0.0
                        for q in 0..<k { s += Double(a[r * k + q]) * Double(cols[q * columns + col0 + j]) }
                        worst = max(worst, abs(Double(out[r * n + j]) - s) / (1 + abs(s)))
                    }
                }
                XCTAssertLessThan(worst, 1e-5 * Double(k).squareRoot(), "case \(i), columns from \(col0)", file: file, line: line)
            }
        }
    }

    func testEveryVariantMatchesTheUnfoldedMatrix() throws {
        let variants = KernelISA.supported.filter { $0 >= .avx2 }
        try XCTSkipIf(variants.isEmpty, "this CPU has no AVX2: the own sgemm has no kernel for it")
        for isa in variants {
            check { t, geo, image, a, col0, n, out in
                image.withUnsafeBufferPointer { ip in a.withUnsafeBufferPointer { ap in out.withUnsafeMutableBufferPointer { op in
                    var g = geo.unfoldedOperand(ip.baseAddress!, sampleStride: t.c * t.h * t.w)
                    return lg_sgemm_im2col(isa.c, t.m, n, geo.rows, 1, ap.baseAddress!, geo.rows, &g, col0, 0, op.baseAddress!, n) != 0
                }}}
            }
        }
    }

    /// The split across cores (by columns, and by rows when m is the larger
    /// side), where this process's GEMMs run on the own kernel.
    func testSplitAcrossCores() throws {
        try XCTSkipIf(GEMMKernel.active != .own, "this process's GEMMs run on OpenBLAS: runIm2col declines")
        let t = Case(c: 8, h: 20, w: 24, kh: 3, kw: 3, stride: 1, pad: 1, dilation: 1, samples: 2, m: 64)
        for m in [t.m, 700] {
            let geo = ConvGeometry(channels: t.c, height: t.h, width: t.w, kernelH: 3, kernelW: 3,
                                   strideH: 1, strideW: 1, padH: 1, padW: 1, dilationH: 1, dilationW: 1)
            var rng = SeededRandom(seed: UInt64(m))
            let image = (0..<(t.samples * t.c * t.h * t.w)).map { _ in Float(rng.normal()) }
            let a = (0..<(m * geo.rows)).map { _ in Float(rng.normal()) }
            let n = t.samples * geo.positions
            var split = [Float](repeating: .nan, count: m * n), whole = split
            func product(_ out: inout [Float]) -> Bool {
                image.withUnsafeBufferPointer { ip in a.withUnsafeBufferPointer { ap in out.withUnsafeMutableBufferPointer { op in
                    GEMMKernel.runIm2col(m: m, n: n, k: geo.rows, a: ap.baseAddress!, lda: geo.rows,
                                         image: geo.unfoldedOperand(ip.baseAddress!, sampleStride: t.c * t.h * t.w),
                                         c: op.baseAddress!, ldc: n)
                }}}
            }
            XCTAssertTrue(product(&split))
            XCTAssertTrue(BLAS.singleThreaded { product(&whole) })
            XCTAssertEqual(split, whole, "m \(m): the split gives the single-threaded product's bits")
        }
    }
}
