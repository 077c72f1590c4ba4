import CBLAS
import CKernels
import Dispatch
import Foundation

/// Which code runs the project's GEMMs: OpenBLAS, or LinearGAN's own sgemm
/// (`lg_sgemm` in CKernels: AVX-512 12 x 32 and AVX2 6 x 16 register
/// blocks over BLIS-style packing).
///
/// OpenBLAS's kernel set is not always the CPU's best, and not always ours
/// to change: a machine image may pin `OPENBLAS_CORETYPE` to a lower core
/// because an older OpenBLAS computes wrong results or crashes with its
/// own choice on that processor (this project's 2-core AMD EPYC VMs set
/// `Haswell` on CPUs with AVX-512). Overriding that variable would bring
/// the problem back; `BLAS.reexecForOpenBLAS` leaves a variable the user
/// set alone. There the AVX2 kernels ran the scene segmenter at 2.0x
/// PyTorch's time and the DCGAN-64 forward at 1.1x (PyTorch's oneDNN and
/// MKL choose by the CPU's flags). So when OpenBLAS runs a lower tier than
/// the numeric core's own kernels (`KernelISA`), the GEMMs run here.
public enum GEMMKernel: String, Sendable, CaseIterable {
    case openblas, own

    /// `LG_GEMM`: `openblas`, `own`, or `auto` (the default).
    public static let variable = "LG_GEMM"

    /// The choice for a process: `setting` is `LG_GEMM`'s value; `auto`
    /// (or none) takes `own` only when the kernel variant in use is of a
    /// higher tier than OpenBLAS's running core and has an own sgemm (AVX2
    /// or AVX-512). `own` where no own kernel serves falls back to OpenBLAS.
    public static func choose(setting: String?, openblasCore: String, kernels: KernelISA) -> GEMMKernel {
        let ownTier: BLASCore.Tier? = switch kernels {
        case .avx512: .avx512
        case .avx2: .avx2
        case .baseline: nil
        }
        guard let ownTier else { return .openblas }
        switch setting?.lowercased() {
        case "openblas": return .openblas
        case "own": return .own
        default: return BLASCore.tier(ofCore: openblasCore) < ownTier ? .own : .openblas
        }
    }

    /// This process's choice, made once (the first GEMM).
    public static let active: GEMMKernel = {
        _ = isa
        let setting = ProcessInfo.processInfo.environment[variable]
        if let s = setting, !["openblas", "own", "auto", ""].contains(s.lowercased()) {
            FileHandle.standardError.write(Data("\(variable)=\(s) is not a GEMM choice: use openblas, own or auto (using auto)\n".utf8))
        }
        return choose(setting: setting, openblasCore: BLASCore.running, kernels: isa)
    }()

    /// The own sgemm's variant: the kernel variant in use at the first GEMM
    /// (`LG_KERNEL_ISA` lowers it), fixed for the process, so that tests
    /// switching the other kernels' variant (`KernelISA.with`) keep one GEMM.
    public static let isa: KernelISA = KernelISA.current

    /// Parts of a GEMM split across cores get at least this many multiply-adds each.
    static let grain = 1 << 19

    /// For logs and benchmark headers, e.g. "own avx512 (OpenBLAS runs Haswell)".
    public static var description: String {
        switch active {
        case .own: "LinearGAN's \(isa.rawValue) sgemm (OpenBLAS runs \(BLASCore.running); \(variable)=openblas to use it)"
        case .openblas: "OpenBLAS"
        }
    }

    /// How a GEMM splits across `BLAS.threads` cores: by columns when n is
    /// the larger side, in multiples of 32 (both variants' panel width),
    /// else by rows, in multiples of 12 (both variants' panel height); one
    /// part when it is small (fewer than `grain` multiply-adds a part).
    struct Split: Sendable {
        let byColumns: Bool
        let parts: [Range<Int>]

        init(m: Int, n: Int, k: Int) {
            let threads = min(BLAS.threads, max(1, m * n * k / grain))
            byColumns = n >= m
            let unit = byColumns ? 32 : 12, extent = byColumns ? n : m
            let units = (extent + unit - 1) / unit
            let count = max(1, min(threads, units))
            parts = (0..<count).map { part in
                min(extent, units * part / count * unit)..<min(extent, units * (part + 1) / count * unit)
            }.filter { !$0.isEmpty }
        }
    }

    /// C = A B (overwritten) with B the columns [0, n) of the unfolded input
    /// `g` (`lg_sgemm_im2col`: the convolution's GEMM without writing the
    /// unfolded matrix), split across cores as `Split` says. False where
    /// the own kernel is not this process's GEMM or did not run all of C
    /// (its buffer not allocated); the caller then computes C by unfolding.
    static func runIm2col(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                          image g: lg_im2col, c: UnsafeMutablePointer<Float>, ldc: Int) -> Bool {
        guard active == .own, m > 0, n > 0, k > 0 else { return false }
        let v = isa.c, split = Split(m: m, n: n, k: k), image = UncheckedSendable(g)
        @Sendable func part(_ r: Range<Int>, _ a: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>) -> Bool {
            var g = image.value
            return split.byColumns
                ? lg_sgemm_im2col(v, m, r.count, k, 1, a, lda, &g, r.lowerBound, 0, c + r.lowerBound, ldc) != 0
                : lg_sgemm_im2col(v, r.count, n, k, 1, a + r.lowerBound * lda, lda, &g, 0, 0, c + r.lowerBound * ldc, ldc) != 0
        }
        if split.parts.count == 1 { return part(split.parts[0], a, c) }
        let pa = UncheckedSendable(a), pc = UncheckedSendable(c)
        let done = UncheckedSendable(UnsafeMutablePointer<Bool>.allocate(capacity: split.parts.count))
        defer { done.value.deallocate() }
        Parallel.perform(split.parts.count) { i in
            done.value[i] = part(split.parts[i], pa.value, pc.value)
        }
        return (0..<split.parts.count).allSatisfy { done.value[$0] }
    }

    /// Runs one GEMM on the own kernel, split across `BLAS.threads` cores
    /// when it is large enough: by columns when n is the larger side, else
    /// by rows, in `variant` (default `isa`). Returns false (nothing
    /// computed) where no own kernel serves that variant on this CPU.
    @usableFromInline
    static func run(variant: KernelISA = isa, transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) -> Bool {
        let v = variant.c
        guard lg_sgemm_available(v) != 0 else { return false }
        let ta: Int32 = transA ? 1 : 0, tb: Int32 = transB ? 1 : 0
        let split = Split(m: m, n: n, k: k)
        if split.parts.count == 1 {
            return lg_sgemm(v, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) != 0
        }
        let pa = UncheckedSendable(a), pb = UncheckedSendable(b), pc = UncheckedSendable(c)
        Parallel.perform(split.parts.count) { i in
            let lo = split.parts[i].lowerBound, hi = split.parts[i].upperBound
            let a = pa.value, b = pb.value, c = pc.value
            let done: Int32
            if split.byColumns {
                let bOff = transB ? lo * ldb : lo
                done = lg_sgemm(v, ta, tb, m, hi - lo, k, alpha, a, lda, b + bOff, ldb, beta, c + lo, ldc)
                if done == 0 {
                    BLAS.openBLAS(transA: transA, transB: transB, m: m, n: hi - lo, k: k, alpha: alpha,
                                  a: a, lda: lda, b: b + bOff, ldb: ldb, beta: beta, c: c + lo, ldc: ldc)
                }
            } else {
                let aOff = transA ? lo : lo * lda
                done = lg_sgemm(v, ta, tb, hi - lo, n, k, alpha, a + aOff, lda, b, ldb, beta, c + lo * ldc, ldc)
                if done == 0 {
                    BLAS.openBLAS(transA: transA, transB: transB, m: hi - lo, n: n, k: k, alpha: alpha,
                                  a: a + aOff, lda: lda, b: b, ldb: ldb, beta: beta, c: c + lo * ldc, ldc: ldc)
                }
            }
        }
        return true
    }
}
