import XCTest
@testable import LGTensor

/// The C kernels' variants (baseline, AVX2, AVX-512) compute the same bits:
/// each convolution that runs through them (Winograd F(4x4, 3x3): forward,
/// input gradient, weight gradient; the transposed F(4x4, 2x2)) is compared
/// bit for bit across every variant this CPU runs.
final class KernelISATests: XCTestCase {
    func testTheBestVariantIsTakenAtLoadUnlessTheEnvironmentAsksForLess() {
        let asked = ProcessInfo.processInfo.environment["LG_KERNEL_ISA"].flatMap(KernelISA.init(rawValue:))
        XCTAssertEqual(KernelISA.current, min(asked ?? .avx512, KernelISA.best))
        XCTAssertEqual(KernelISA.supported.first, .baseline)
        XCTAssertEqual(KernelISA.supported.last, KernelISA.best)
        #if arch(x86_64)
        // Every x86-64 CPU this project runs on has at least AVX2 (the CI
        // machines have AVX-512); a baseline-only answer means detection broke.
        XCTAssertGreaterThanOrEqual(KernelISA.best, .avx2)
        #endif
        if KernelISA.best < .avx512 {
            XCTAssertNil(KernelISA.with(.avx512) { 1 }, "a variant the CPU cannot run is refused")
        }
    }

    func testEveryVariantComputesTheSameBits() {
        let saved = (Winograd.minimumTiles, Winograd.minimumTilesF4, Winograd.policy)
        Winograd.minimumTiles = 1
        Winograd.minimumTilesF4 = 1
        Winograd.policy = .always
        defer { (Winograd.minimumTiles, Winograd.minimumTilesF4, Winograd.policy) = saved }
        // Sizes that are not multiples of 4 (partial edge tiles, a partial last
        // output column group), paddings 0-2, a batch; tile rows of 1-20 tiles;
        // at least 16 channels each way (below that Winograd does not apply).
        for (i, (xs, cout, pad)) in [([2, 32, 9, 10], 40, 1), ([1, 16, 80, 77], 16, 1), ([1, 32, 11, 8], 36, 2),
                                     ([3, 32, 10, 13], 33, 0)].enumerated() {
            let x = randn(xs, seed: UInt64(i + 1)), w = randn([cout, xs[1], 3, 3], seed: UInt64(i + 30))
            let o = Conv2DOptions(padding: pad)
            let ho = xs[2] + 2 * pad - 2, wo = xs[3] + 2 * pad - 2
            XCTAssertTrue(Winograd.applies(x.shape, w.shape, o) && Winograd.useF4(batch: xs[0], outH: ho, outW: wo))
            let gy = randn([xs[0], cout, ho, wo], seed: UInt64(i + 60))
            // A LeakyReLU epilogue applied as the output is written.
            let epilogue = ChannelEpilogue(scale: (0..<cout).map { 0.5 + Float($0) / 16 }, shift: (0..<cout).map { Float($0 % 5) - 2 },
                                           relu: true, negativeSlope: 0.2)
            func run() -> [[Float]] {
                let y = x.conv2d(w, o)
                let (gx, gw) = x.conv2dBackward(w, gy, o)
                return [y.data, gx!.data, gw!.data, x.conv2d(w, o, epilogue: epilogue).data]
            }
            let reference = KernelISA.with(.baseline, run)!
            for isa in KernelISA.supported.dropFirst() {
                let r = KernelISA.with(isa, run)!
                for (k, what) in ["forward", "input gradient", "weight gradient", "forward with an epilogue"].enumerated() {
                    XCTAssertEqual(r[k], reference[k], "case \(i), \(what): \(isa.rawValue) differs from baseline")
                }
            }
            // And the result is the convolution (im2col within float32 rounding).
            Winograd.enabled = false
            let y2 = x.conv2d(w, o)
            Winograd.enabled = true
            XCTAssertEqual(y2.shape, [xs[0], cout, ho, wo])
            let maxDiff = zip(reference[0], y2.data).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThan(maxDiff, 2e-3, "case \(i)")
        }
    }

    func testEveryVariantComputesTheSameTransposedBits() {
        // The 4x4 stride-2 transposed convolution by F(4x4, 2x2) and by
        // F(2x2, 2x2): their input and output transforms go through
        // CKernels. Tile rows of 1, 3 and 16 tiles (the vector loops'
        // remainders), a batch, chunks of one sample, with and without
        // epilogues (ReLU, LeakyReLU, affine only).
        let saved = (Winograd.transposedChunkBudget, Winograd.minimumTransposedTiles, Winograd.minimumTransposedTilesF4, Winograd.policy)
        Winograd.minimumTransposedTiles = 1
        Winograd.minimumTransposedTilesF4 = 1
        Winograd.policy = .inference
        defer {
            (Winograd.transposedChunkBudget, Winograd.minimumTransposedTiles, Winograd.minimumTransposedTilesF4, Winograd.policy) = saved
            Winograd.largeTiles = true
        }
        let o = ConvTranspose2DOptions(stride: 2, padding: 1)
        for largeTiles in [true, false] {
            Winograd.largeTiles = largeTiles
            let scheme = largeTiles ? "F(4x4, 2x2)" : "F(2x2, 2x2)"
            for (i, (xs, cout, budget)) in [([2, 32, 4, 4], 40, 1 << 21), ([1, 40, 8, 12], 32, 1 << 21),
                                            ([3, 33, 4, 64], 36, 40_000)].enumerated() {
                Winograd.transposedChunkBudget = budget
                let x = randn(xs, seed: UInt64(i + 71)), w = randn([xs[1], cout, 4, 4], seed: UInt64(i + 90))
                XCTAssertTrue(Winograd.appliesTransposed(x.shape, w.shape, o) && Winograd.useTransposedF4(x.shape, cout: cout) == largeTiles,
                              "case \(i), \(scheme)")
                let scale = (0..<cout).map { 0.5 + Float($0) / 16 }, shift = (0..<cout).map { Float($0 % 5) - 2 }
                let epilogues = [ChannelEpilogue(scale: scale, shift: shift, relu: true, negativeSlope: 0),
                                 ChannelEpilogue(scale: scale, shift: shift, relu: true, negativeSlope: 0.2),
                                 ChannelEpilogue(scale: scale, shift: shift, relu: false, negativeSlope: 0)]
                func run() -> [[Float]] {
                    [x.convTranspose2d(w, o).data] + epilogues.map { x.convTranspose2d(w, o, epilogue: $0).data }
                }
                let reference = KernelISA.with(.baseline, run)!
                for isa in KernelISA.supported.dropFirst() {
                    let r = KernelISA.with(isa, run)!
                    for k in reference.indices {
                        XCTAssertEqual(r[k], reference[k], "case \(i), \(scheme), output \(k): \(isa.rawValue) differs from baseline")
                    }
                }
                // And the result is the transposed convolution, each epilogue applied after it.
                let direct = x.convTranspose2d(w, o, winograd: false)
                XCTAssertEqual(direct.shape, [xs[0], cout, 2 * xs[2], 2 * xs[3]])
                for (k, e) in [nil, epilogues[0], epilogues[1], epilogues[2]].enumerated() {
                    var expected = direct
                    if let e { expected.applyChannelEpilogue(e) }
                    let maxDiff = zip(reference[k], expected.data).map { abs($0 - $1) }.max() ?? 0
                    XCTAssertLessThan(maxDiff, 2e-3, "case \(i), \(scheme), output \(k)")
                }
            }
        }
    }

    /// tanh (CKernels' `lg_tanh_run`): every variant gives the baseline's
    /// bits, over both branches, the tails, lengths with vector remainders,
    /// the infinities and NaN.
    func testEveryVariantComputesTheSameTanh() {
        let xs: [Float] = (0..<40_007).map { Float($0 - 20_000) * 1e-3 } + [0, -0, 0.625, -0.625, .infinity, -.infinity, .nan]
        for n in [1, 7, 17, xs.count] {
            let x = Tensor(shape: [n], data: Array(xs.suffix(n)))
            let reference = KernelISA.with(.baseline) { x.tanhValues() }!
            for isa in KernelISA.supported.dropFirst() {
                let r = KernelISA.with(isa) { x.tanhValues() }!
                for (a, b) in zip(r.data, reference.data) where !(a.isNaN && b.isNaN) {
                    XCTAssertEqual(a.bitPattern, b.bitPattern, "length \(n): \(isa.rawValue) differs from baseline")
                }
            }
        }
    }
}
