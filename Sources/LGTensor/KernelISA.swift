import CKernels

/// The instruction set of the numeric core's own inner loops (CKernels:
/// Winograd F(4x4, 3x3)'s tile transforms, the transposed F(4x4, 2x2)'s, the
/// per-channel convolution epilogue). Each is compiled for
/// baseline x86-64, AVX2 + FMA and AVX-512; the library takes the best the
/// CPU runs when it loads, so one binary runs everywhere and uses what it
/// finds. `LG_KERNEL_ISA=baseline|avx2` asks for a lower one (to compare,
/// or to match another machine). Contraction is off in every variant: all
/// give the same bits. OpenBLAS chooses its own kernels (`BLAS.coreType`).
public enum KernelISA: String, Sendable, CaseIterable, Comparable {
    case baseline, avx2, avx512

    init(_ isa: lg_isa) {
        switch isa {
        case LG_ISA_AVX2: self = .avx2
        case LG_ISA_AVX512: self = .avx512
        default: self = .baseline
        }
    }

    var c: lg_isa {
        switch self {
        case .baseline: LG_ISA_BASELINE
        case .avx2: LG_ISA_AVX2
        case .avx512: LG_ISA_AVX512
        }
    }

    /// The variant in use.
    public static var current: KernelISA { KernelISA(lg_kernel_isa()) }
    /// The best variant this CPU runs.
    public static var best: KernelISA { KernelISA(lg_kernel_best_isa()) }
    /// The variants this CPU runs, lowest first.
    public static var supported: [KernelISA] { allCases.filter { $0 <= best } }

    /// Runs `body` with `isa`'s kernels (tests and benchmarks compare them),
    /// restoring the previous variant after; nil when the CPU cannot run
    /// `isa`. Process-wide: not while kernels run on other threads.
    public static func with<T>(_ isa: KernelISA, _ body: () throws -> T) rethrows -> T? {
        let saved = current
        guard lg_kernel_use_isa(isa.c) != 0 else { return nil }
        defer { _ = lg_kernel_use_isa(saved.c) }
        return try body()
    }

    public static func < (a: KernelISA, b: KernelISA) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}
