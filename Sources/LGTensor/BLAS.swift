import CBLAS
import Foundation

/// Matrix products. Every matrix product and convolution in the project
/// goes through `gemm`: on OpenBLAS, or on LinearGAN's own sgemm where
/// OpenBLAS runs a lower instruction set than the CPU has (`GEMMKernel`).
public enum BLAS {
    /// C[m,n] = alpha * op(A) * op(B) + beta * C, row-major, with leading
    /// dimensions given explicitly.
    @inlinable
    public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                            alpha: Float = 1,
                            a: UnsafePointer<Float>, lda: Int,
                            b: UnsafePointer<Float>, ldb: Int,
                            beta: Float = 0,
                            c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            if beta == 0 {
                for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) }
            } else if beta != 1 {
                for i in 0..<m { for j in 0..<n { c[i * ldc + j] *= beta } }
            }
            return
        }
        if GEMMKernel.active == .own,
           GEMMKernel.run(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                          a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc) {
            return
        }
        openBLAS(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                 a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }

    /// `gemm` on OpenBLAS, whatever `GEMMKernel.active` says.
    @inlinable
    public static func openBLAS(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
                                a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                                beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor,
                    transA ? CblasTrans : CblasNoTrans,
                    transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha,
                    a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Re-executes the running program once with OpenBLAS's load-time
    /// settings made right, then returns (also when nothing needed changing
    /// or the exec fails). Executables that compute call it first thing.
    /// OpenBLAS reads both variables once, when the library loads, before
    /// any Swift code runs: hence the re-exec. A variable the user set is
    /// left as it is.
    ///
    /// `OPENBLAS_CORETYPE`: set when OpenBLAS chose kernels of a lower
    /// instruction-set tier than the CPU's flags allow (`BLASCore`; an
    /// Emerald Rapids VM got SSE3 kernels, 4.6x slower sgemm).
    ///
    /// `OPENBLAS_THREAD_TIMEOUT=4`: after each multi-threaded GEMM,
    /// OpenBLAS's worker threads keep
    /// spinning (yielding) for about 2^28 cycles before they sleep. Where a
    /// multi-threaded GEMM is followed by work this project splits across
    /// the cores itself (Winograd's plane GEMMs, an extractor's heads), a
    /// spinning thread that shares a core with that work slows it: the
    /// DCGAN-64 forward read 45 ms in some processes and 61-65 ms in others,
    /// NSE-2 steps 1.8-2.1 s against 2.2-2.3 s, StyleGAN2-256 synthesis
    /// 345-355 against 356-440 ms. With the timeout at its minimum, 2^4
    /// cycles, every run read the fast figure.
    public static func reexecForOpenBLAS() {
        var changed = false
        if getenv("OPENBLAS_THREAD_TIMEOUT") == nil {
            setenv("OPENBLAS_THREAD_TIMEOUT", "4", 1)
            changed = true
        }
        if getenv("OPENBLAS_CORETYPE") == nil {
            let chosen = BLASCore.running
            if let core = BLASCore.override(chosen: chosen, flags: BLASCore.machineFlags(), config: BLASCore.config) {
                setenv("OPENBLAS_CORETYPE", core, 1)
                setenv(BLASCore.detectedVariable, chosen, 1)
                changed = true
            }
        }
        guard changed else { return }
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Only reached when exec failed: carry on with OpenBLAS's defaults.
    }

    /// Sets the number of OpenBLAS threads (0 leaves it unchanged).
    public static func setThreads(_ n: Int) {
        if n > 0 { openblas_set_num_threads(Int32(n)) }
    }

    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// Runs `body` with OpenBLAS at one thread (each GEMM single-threaded,
    /// for callers that split independent GEMMs across cores themselves).
    /// Callers on several threads of one process nest: the first one in
    /// saves the thread count, the last one out restores it.
    public static func singleThreaded<R>(_ body: () throws -> R) rethrows -> R {
        singleThreadLock.lock()
        if singleThreadDepth == 0 { savedThreads = threads; setThreads(1) }
        singleThreadDepth += 1
        singleThreadLock.unlock()
        defer {
            singleThreadLock.lock()
            singleThreadDepth -= 1
            if singleThreadDepth == 0 { setThreads(savedThreads) }
            singleThreadLock.unlock()
        }
        return try body()
    }

    private static let singleThreadLock = NSLock()
    nonisolated(unsafe) private static var singleThreadDepth = 0
    nonisolated(unsafe) private static var savedThreads = 0
}
