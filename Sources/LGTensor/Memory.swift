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
/// heap (blocks up to 32 MiB, no trimming) removes that. Applied once, on
/// the first tensor made.
public enum Memory {
    public static let tuned: Bool = {
        #if canImport(Glibc)
        let mTrimThreshold: Int32 = -1, mTopPad: Int32 = -2, mMmapThreshold: Int32 = -3
        _ = c_mallopt(mMmapThreshold, 32 << 20)
        _ = c_mallopt(mTrimThreshold, Int32.max)
        _ = c_mallopt(mTopPad, 64 << 20)
        return true
        #else
        return false
        #endif
    }()
}
