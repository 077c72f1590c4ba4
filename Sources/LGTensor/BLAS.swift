import CBLAS
import Foundation

/// Matrix products on OpenBLAS. Every matrix product and convolution in the
/// project goes through `gemm`.
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
        cblas_sgemm(CblasRowMajor,
                    transA ? CblasTrans : CblasNoTrans,
                    transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha,
                    a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Re-executes the running program with `OPENBLAS_THREAD_TIMEOUT=4`
    /// unless that variable is already set; returns if it is set or the
    /// exec fails. Executables call it first thing.
    ///
    /// After each multi-threaded GEMM, OpenBLAS's worker threads keep
    /// spinning (yielding) for about 2^28 cycles before they sleep. Where a
    /// multi-threaded GEMM is followed by work this project splits across
    /// the cores itself (Winograd's plane GEMMs, an extractor's heads), a
    /// spinning thread that shares a core with that work slows it: the
    /// DCGAN-64 forward read 45 ms in some processes and 61-65 ms in others,
    /// NSE-2 steps 1.8-2.1 s against 2.2-2.3 s, StyleGAN2-256 synthesis
    /// 345-355 against 356-440 ms. With the timeout at its minimum, 2^4
    /// cycles, every run read the fast figure. OpenBLAS reads the variable
    /// once, when the library loads, before any Swift code runs: hence the
    /// re-exec. Set the variable yourself to choose another value.
    public static func reexecWithQuietThreads() {
        guard getenv("OPENBLAS_THREAD_TIMEOUT") == nil else { return }
        setenv("OPENBLAS_THREAD_TIMEOUT", "4", 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Only reached when exec failed: carry on with OpenBLAS's default.
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
