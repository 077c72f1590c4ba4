import CKernels
import XCTest
@testable import LGTensor

/// LinearGAN's own sgemm (`lg_sgemm`, `GEMMKernel`) against a float64
/// product, in both of its variants, every transpose, alpha / beta, edges
/// and blocking boundaries; and when it is chosen over OpenBLAS.
final class GEMMKernelTests: XCTestCase {
    struct Case { let ta: Bool, tb: Bool, m: Int, n: Int, k: Int, alpha: Float, beta: Float }

    /// C = alpha op(A) op(B) + beta C through `GEMMKernel.run`, against
    /// float64; padded leading dimensions; C starts as NaN when beta is 0
    /// (it must not be read).
    func check(_ c: Case, variant: KernelISA, threads: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        var rng = SeededRandom(seed: UInt64(c.m * 7919 + c.n * 31 + c.k))
        let (ar, ac) = c.ta ? (c.k, c.m) : (c.m, c.k)
        let (br, bc) = c.tb ? (c.n, c.k) : (c.k, c.n)
        let lda = ac + 3, ldb = bc + 5, ldc = c.n + 2
        let a = (0..<(ar * lda)).map { _ in Float(rng.normal()) }
        let b = (0..<(br * ldb)).map { _ in Float(rng.normal()) }
        let c0 = (0..<(c.m * ldc)).map { _ in c.beta == 0 ? Float.nan : Float(rng.normal()) }
        var out = c0
        let ran = threads == 1 ? withThreads(1) { run(c, variant, a, lda, b, ldb, &out, ldc) } : run(c, variant, a, lda, b, ldb, &out, ldc)
        XCTAssertTrue(ran, "no own kernel ran", file: file, line: line)
        var worst = 0.0
        for i in 0..<c.m {
            for j in 0..<c.n {
                var s = 0.0
                for p in 0..<c.k {
                    let av = Double(c.ta ? a[p * lda + i] : a[i * lda + p])
                    let bv = Double(c.tb ? b[j * ldb + p] : b[p * ldb + j])
                    s += av * bv
                }
                let want = Double(c.alpha) * s + (c.beta == 0 ? 0 : Double(c.beta) * Double(c0[i * ldc + j]))
                worst = max(worst, abs(Double(out[i * ldc + j]) - want) / (1 + abs(want)))
            }
            // Past each row's n columns, C is left as it was.
            for j in c.n..<ldc where !(c0[i * ldc + j].isNaN && out[i * ldc + j].isNaN) {
                XCTAssertEqual(out[i * ldc + j], c0[i * ldc + j], "column \(j) past n written", file: file, line: line)
            }
        }
        XCTAssertLessThan(worst, 1e-5 * Double(max(1, c.k)).squareRoot(), "\(c)", file: file, line: line)
    }

    func run(_ c: Case, _ variant: KernelISA, _ a: [Float], _ lda: Int, _ b: [Float], _ ldb: Int, _ out: inout [Float], _ ldc: Int) -> Bool {
        a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in out.withUnsafeMutableBufferPointer { cp in
            GEMMKernel.run(variant: variant, transA: c.ta, transB: c.tb, m: c.m, n: c.n, k: c.k, alpha: c.alpha,
                           a: ap.baseAddress!, lda: lda, b: bp.baseAddress!, ldb: ldb, beta: c.beta,
                           c: cp.baseAddress!, ldc: ldc)
        }}}
    }

    func withThreads<R>(_ n: Int, _ body: () -> R) -> R { BLAS.singleThreaded(body) }

    var cases: [Case] {
        var out: [Case] = []
        // Edges of both register blocks (12 x 32, 6 x 16) and of their
        // shorter row instances (8 and 4 rows; 4 and 2), the k block (256),
        // the m block (240 / 120), the n block (4096), every transpose.
        let shapes = [(1, 1, 1), (5, 7, 3), (20, 50, 40), (10, 40, 20), (17, 64, 33), (12, 32, 9), (13, 33, 257), (241, 70, 300), (37, 4100, 5),
                      (128, 1024, 512), (250, 97, 513)]
        for (i, s) in shapes.enumerated() {
            for t in 0..<4 {
                let alpha: Float = i % 2 == 0 ? 1 : -0.5
                let beta: Float = [0, 1, 0.25, 0][(i + t) % 4]
                out.append(Case(ta: t & 1 == 1, tb: t & 2 == 2, m: s.0, n: s.1, k: s.2, alpha: alpha, beta: beta))
            }
        }
        return out
    }

    func testEveryVariantMatchesFloat64() throws {
        let variants = KernelISA.supported.filter { $0 >= .avx2 }
        try XCTSkipIf(variants.isEmpty, "this CPU has no AVX2: the own sgemm has no kernel for it")
        for isa in variants {
            for c in cases { try check(c, variant: isa, threads: 1) }
            // Split across cores, by columns and by rows.
            for c in [Case(ta: false, tb: false, m: 100, n: 2000, k: 300, alpha: 1, beta: 0),
                      Case(ta: true, tb: true, m: 2000, n: 90, k: 300, alpha: 2, beta: 0.5)] {
                try check(c, variant: isa, threads: 2)
            }
        }
    }

    func testBaselineHasNoOwnKernel() {
        var c: [Float] = [0]
        let ran = [Float](repeating: 1, count: 1).withUnsafeBufferPointer { a in
            c.withUnsafeMutableBufferPointer { cp in
                GEMMKernel.run(variant: .baseline, transA: false, transB: false, m: 1, n: 1, k: 1, alpha: 1,
                               a: a.baseAddress!, lda: 1, b: a.baseAddress!, ldb: 1, beta: 0, c: cp.baseAddress!, ldc: 1)
            }
        }
        XCTAssertFalse(ran, "the baseline variant has no own sgemm: OpenBLAS must run")
    }

    func testChoice() {
        // OpenBLAS held to AVX2 kernels on an AVX-512 CPU: own.
        XCTAssertEqual(GEMMKernel.choose(setting: nil, openblasCore: "Haswell", kernels: .avx512), .own)
        XCTAssertEqual(GEMMKernel.choose(setting: "auto", openblasCore: "Prescott", kernels: .avx2), .own)
        // OpenBLAS at the same tier or above: OpenBLAS.
        XCTAssertEqual(GEMMKernel.choose(setting: nil, openblasCore: "SkylakeX", kernels: .avx512), .openblas)
        XCTAssertEqual(GEMMKernel.choose(setting: nil, openblasCore: "Cooperlake", kernels: .avx512), .openblas)
        XCTAssertEqual(GEMMKernel.choose(setting: nil, openblasCore: "Zen", kernels: .avx2), .openblas)
        // LG_KERNEL_ISA=baseline: no own kernel, whatever is asked.
        XCTAssertEqual(GEMMKernel.choose(setting: "own", openblasCore: "Prescott", kernels: .baseline), .openblas)
        // LG_GEMM asks.
        XCTAssertEqual(GEMMKernel.choose(setting: "openblas", openblasCore: "Haswell", kernels: .avx512), .openblas)
        XCTAssertEqual(GEMMKernel.choose(setting: "OWN", openblasCore: "SkylakeX", kernels: .avx512), .own)
    }
}
