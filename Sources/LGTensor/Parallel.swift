import CKernels
import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits scalar (non-BLAS) loops across the machine's cores. OpenBLAS
/// parallelises each GEMM itself; between GEMMs its threads idle, so the
/// kernels' own loops (col2im, resizing, losses) run on all cores here.
public enum Parallel {
    /// Worker count: OPENBLAS_NUM_THREADS when set (a worker with several
    /// slots sets it to cores / slots for each job), else the number of
    /// active processors; at least 1.
    public static let width: Int = {
        if let s = ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"], let n = Int(s), n > 0 { return n }
        return max(1, System.activeProcessors)
    }()

    /// Calls `body(range)` on disjoint parts of `0..<count`, in parallel when
    /// there is more than `minimum` work per part. `body` must only write
    /// what belongs to its range.
    @inlinable
    public static func forEach(_ count: Int, minimum: Int = 1, _ body: (Range<Int>) -> Void) {
        let parts = min(width, count / max(1, minimum))
        if parts <= 1 { body(0..<count); return }
        perform(parts) { p in
            let lo = count * p / parts, hi = count * (p + 1) / parts
            if lo < hi { body(lo..<hi) }
        }
    }

    /// Runs `body(part)` for every part in `0..<parts`, in parallel on the
    /// calling thread and the fork-join pool's (`lg_fork_join`: its threads
    /// spin a while after each job before they park, so that the many
    /// short regions of a forward pass start without a wake-up); through
    /// `DispatchQueue.concurrentPerform` when the pool is busy (another
    /// thread's job, or a call from inside a part). `body` must only write
    /// what belongs to its part.
    public static func perform(_ parts: Int, _ body: (Int) -> Void) {
        if parts <= 1 { if parts == 1 { body(0) }; return }
        let ran: Bool = withoutActuallyEscaping(body) { body in
            guard pool > 0 else { return false }
            var task = body
            return withUnsafeMutablePointer(to: &task) { p in
                lg_fork_join(parts, { ctx, part in
                    ctx!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(part)
                }, p) != 0
            }
        }
        if ran { return }
        withoutActuallyEscaping(body) { body in
            let task = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: parts) { task.value($0) }
        }
    }

    /// The pool's threads besides the caller's: width - 1, started once
    /// (`LG_POOL=0`: none, every region through concurrentPerform;
    /// `LG_POOL_SPIN`: pause instructions an idle thread spins before it
    /// parks, default 4000, about 0.1 ms).
    static let pool: Int = {
        let env = ProcessInfo.processInfo.environment
        if env["LG_POOL"] == "0" || width <= 1 { return 0 }
        return lg_fork_join_start(width - 1, env["LG_POOL_SPIN"].flatMap { Int($0) } ?? -1)
    }()
}

extension Parallel {
    /// Whether a batch of `n` samples splits across the cores in
    /// `forEachSampleRange`: at least two samples per core.
    public static func splitsSamples(_ n: Int) -> Bool { width > 1 && n >= 2 * width }

    /// Runs `body(samples, x, w, y)` over the batch `0..<n`: one range of
    /// samples per core, each with single-threaded GEMMs, when
    /// `splitsSamples(n)` (many small per-sample GEMMs otherwise each split
    /// across OpenBLAS's threads); else once over the whole batch. `body`
    /// must only write the output of its own samples.
    public static func forEachSampleRange(_ n: Int, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                                          _ y: UnsafeMutablePointer<Float>,
                                          _ body: (Range<Int>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void) {
        guard splitsSamples(n) else { return body(0..<n, x, w, y) }
        let xs = UncheckedSendable(x), ws = UncheckedSendable(w), ys = UncheckedSendable(y)
        BLAS.singleThreaded {
            forEach(n) { samples in body(samples, xs.value, ws.value, ys.value) }
        }
    }
}

/// Carries a value into concurrently running closures; the caller
/// guarantees the parts touch disjoint memory.
public struct UncheckedSendable<T>: @unchecked Sendable {
    public let value: T
    @inlinable public init(_ value: T) { self.value = value }
}

public enum System {
    public static var activeProcessors: Int {
        #if canImport(Glibc) || canImport(Darwin)
        return Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #else
        return 1
        #endif
    }
}
