import Foundation
#if canImport(Glibc)
import Glibc

@_silgen_name("mallopt")
private func c_mallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif

/// Allocator settings for tensor workloads.
///
/// Every op allocates its output; activations are megabytes each. glibc's
/// default serves such blocks with fresh `mmap`s (or trims the heap after
/// each free), so every op paid page faults and zeroing of new pages: up to
/// a third of a training step in the kernel. Keeping freed memory in the
/// heap (blocks up to 32 MiB, no trimming) removes that. Blocks above 32
/// MiB (glibc's largest mmap threshold) come from the heap too, as glibc's
/// `M_MMAP_MAX = 0` makes it: StyleGAN2-256's 128-channel maps at 256 px
/// are 32 MiB and a few bytes, and each one was a fresh mapping whose pages
/// the kernel zeroed (4 % of an NSE-2 step in `clear_page_erms`; the step
/// 1.99-2.30 -> 1.79-1.80 s, alternating runs). The heap never shrinks, so
/// a process keeps its peak; jobs run in child processes that exit.
/// `LG_MMAP=1` keeps glibc's mappings for large blocks. Applied once, on
/// the first tensor made.
public enum Memory {
    public static let tuned: Bool = {
        #if canImport(Glibc)
        let mTrimThreshold: Int32 = -1, mTopPad: Int32 = -2, mMmapThreshold: Int32 = -3, mMmapMax: Int32 = -4
        _ = c_mallopt(mMmapThreshold, 32 << 20)
        if ProcessInfo.processInfo.environment["LG_MMAP"] != "1" { _ = c_mallopt(mMmapMax, 0) }
        _ = c_mallopt(mTrimThreshold, Int32.max)
        _ = c_mallopt(mTopPad, 64 << 20)
        return true
        #else
        return false
        #endif
    }()
}

/// Reusable scratch memory for kernels that need large temporary buffers on
/// every call (Winograd's transformed weights and tiles: tens of MB). A
/// fresh allocation that size is a fresh `mmap`, and the kernel zeroes its
/// pages on first touch: 13 % of an NSE-2 training step went to
/// `clear_page_erms` before these buffers were kept. Buffers are handed out
/// under a lock; a caller that finds none free (another thread holds them)
/// gets new ones, which join the pool afterwards. At most `keep` buffers
/// stay allocated (the largest).
public final class ScratchPool: @unchecked Sendable {
    public static let shared = ScratchPool()
    private let lock = NSLock()
    private var free: [UnsafeMutableBufferPointer<Float>] = []
    private let keep: Int

    public init(keep: Int = 6) { self.keep = keep }

    /// Calls `body` with one buffer of at least `counts[i]` floats per entry
    /// (contents undefined), then returns them to the pool.
    public func with<R>(_ counts: [Int], _ body: ([UnsafeMutablePointer<Float>]) throws -> R) rethrows -> R {
        var taken: [UnsafeMutableBufferPointer<Float>] = []
        lock.lock()
        for n in counts {
            // The smallest free buffer that fits.
            if let i = free.indices.filter({ free[$0].count >= n }).min(by: { free[$0].count < free[$1].count }) {
                taken.append(free.remove(at: i))
            } else {
                taken.append(UnsafeMutableBufferPointer<Float>.allocate(capacity: max(1, n)))
            }
        }
        lock.unlock()
        defer {
            lock.lock()
            free.append(contentsOf: taken)
            if free.count > keep {
                free.sort { $0.count > $1.count }
                for b in free[keep...] { b.deallocate() }
                free.removeSubrange(keep...)
            }
            lock.unlock()
        }
        return try body(taken.map { $0.baseAddress! })
    }

    /// Floats held by free buffers (for tests).
    public var heldFloats: Int { lock.lock(); defer { lock.unlock() }; return free.reduce(0) { $0 + $1.count } }
}
