import Foundation

/// Winograd-transformed weights kept between inference calls.
///
/// A Winograd convolution first transforms its weight into 16-100 planes
/// (U). Generating images or features calls the same layers with the same
/// weights batch after batch, and for deep layers on small maps that
/// transform is a large share of the call: DCGAN-64's 512 -> 256 layer at
/// 4 px writes 52 MB of U for 3.3 MB of transformed input. So where no
/// gradient is recorded, U is kept, keyed by the weight's storage.
///
/// Why a hit is always right: an entry holds a reference to the weight's
/// array storage, so that storage is never uniquely referenced while the
/// entry exists, and any write to it (an optimiser step, `t.data[i] = ...`)
/// copies it first (Swift arrays are copy-on-write). The same storage
/// address therefore means the same contents; a changed weight is new
/// storage, a miss, and its own entry.
///
/// A kernel made from a weight on every call (StyleGAN's fused up-sampling
/// kernel) is kept the same way (`derived`), so that its storage, and with
/// it its transform, is the same from call to call.
///
/// At most `capacity` floats are kept (least recently used first out);
/// `LG_WEIGHT_CACHE_MB` sets it (default 512, 0 turns the cache off): the
/// scene segmenter's fused F(2x2, 3x3) weights (`WinogradGrouped`) and its
/// ASPP's permuted ones hold 288 MB, and an LRU cache smaller than a
/// network's cycle of layers misses on every layer.
/// Training, which records gradients, never uses it: its weights change
/// every step. Nor should inference on weights that are being trained (a
/// GAN's generator making fakes for its discriminator step): each step
/// would store a new entry, and the entry's reference would make the
/// optimiser copy the weight before updating it. Such calls run inside
/// `TransformedWeightCache.withoutCaching`.
public final class TransformedWeightCache: @unchecked Sendable {
    public static let shared = TransformedWeightCache(capacity: {
        let mb = Int(ProcessInfo.processInfo.environment["LG_WEIGHT_CACHE_MB"] ?? "") ?? 512
        return max(0, mb) << 18  // floats
    }())

    /// Off inside `withoutCaching` (task-local).
    @TaskLocal static var active = true

    /// Runs `body` without reading or filling the cache (for inference on
    /// weights that change between calls).
    public static func withoutCaching<R>(_ body: () throws -> R) rethrows -> R {
        try $active.withValue(false) { try body() }
    }

    /// Most floats of transformed weights kept.
    public var capacity: Int {
        get { lock.lock(); defer { lock.unlock() }; return limit }
        set { lock.lock(); limit = newValue; trim(); lock.unlock() }
    }

    /// Lookups answered from the cache, and transforms stored (for tests).
    public private(set) var hits = 0, stores = 0

    /// Floats held.
    public var heldFloats: Int { lock.lock(); defer { lock.unlock() }; return entries.reduce(0) { $0 + $1.size } }

    private final class Entry {
        enum Payload {
            /// A transform's floats (`with`), 64-byte aligned: kernels load
            /// whole AVX-512 vectors of it (lg_wg3_run).
            case transform(UnsafeMutableBufferPointer<Float>)
            /// A tensor made from the weight (`derived`).
            case derived(Tensor)
        }
        let source: [Float]
        let scheme: String
        let payload: Payload
        var lastUse = 0

        init(source: [Float], scheme: String, payload: Payload) {
            self.source = source; self.scheme = scheme; self.payload = payload
        }

        /// A transform entry of `count` floats, not yet written.
        convenience init(source: [Float], scheme: String, count: Int) {
            let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * MemoryLayout<Float>.stride, alignment: 64)
            self.init(source: source, scheme: scheme,
                      payload: .transform(UnsafeMutableBufferPointer(start: raw.bindMemory(to: Float.self, capacity: max(1, count)),
                                                                     count: max(1, count))))
        }

        var transformed: UnsafeMutableBufferPointer<Float>? { if case .transform(let u) = payload { u } else { nil } }
        var tensor: Tensor? { if case .derived(let t) = payload { t } else { nil } }
        /// Floats held (what counts against the capacity).
        var size: Int { transformed?.count ?? tensor?.count ?? 0 }

        deinit { transformed?.deallocate() }
    }

    private let lock = NSLock()
    private var entries: [Entry] = []
    private var limit: Int
    private var clock = 0

    public init(capacity: Int) { limit = capacity }

    /// Calls `body` with the weight `w` transformed by `scheme` (`count`
    /// floats that `transform` writes): from the cache when `w`'s storage
    /// was transformed by that scheme before, else transformed now (into
    /// the cache where gradients are not recorded and it fits, otherwise
    /// into `scratch`).
    public func with<R>(_ w: Tensor, scheme: String, count: Int, scratch: UnsafeMutablePointer<Float>,
                        transform: (UnsafeMutablePointer<Float>) -> Void,
                        _ body: (UnsafePointer<Float>) throws -> R) rethrows -> R {
        guard !GradMode.enabled, Self.active, w.count > 0 else {
            transform(scratch)
            return try body(scratch)
        }
        lock.lock()
        if let e = lookup(w, scheme: scheme, where: { ($0.transformed?.count ?? 0) >= count }) {
            lock.unlock()
            return try withExtendedLifetime(e) { try body(e.transformed!.baseAddress!) }
        }
        let fits = count <= limit
        lock.unlock()
        guard fits else {
            transform(scratch)
            return try body(scratch)
        }
        let e = Entry(source: w.data, scheme: scheme, count: count)
        let u = e.transformed!.baseAddress!
        transform(u)
        lock.lock()
        insert(e)
        lock.unlock()
        return try withExtendedLifetime(e) { try body(u) }
    }

    /// A tensor made from the weight `w` alone by `make` (a rescaled or
    /// rearranged kernel): kept like a transform, so the same `w` storage
    /// gives back the same tensor, and that tensor's storage being the same,
    /// its own transforms hit too. A kernel made afresh on every call would
    /// be new storage each time: a miss in every convolution it feeds, and a
    /// dead entry. Made and not kept where gradients are recorded, inside
    /// `withoutCaching`, or when it does not fit.
    public func derived(_ w: Tensor, scheme: String, make: () -> Tensor) -> Tensor {
        guard !GradMode.enabled, Self.active, w.count > 0 else { return make() }
        lock.lock()
        if let t = lookup(w, scheme: scheme, where: { $0.tensor != nil })?.tensor {
            lock.unlock()
            return t
        }
        lock.unlock()
        let t = make()
        lock.lock()
        if t.count <= limit { insert(Entry(source: w.data, scheme: scheme, payload: .derived(t))) }
        lock.unlock()
        return t
    }

    /// `derived` for a weight that may take part in a graph: where
    /// gradients are recorded, `make(w)` itself (made every call, as the
    /// graph needs); otherwise kept per weight storage.
    public func derived(_ w: Variable, scheme: String, make: (Variable) -> Variable) -> Variable {
        guard !GradMode.enabled else { return make(w) }
        return Variable(derived(w.value, scheme: scheme) { make(w).value })
    }

    /// The entry made from `w`'s storage by `scheme` that `matches`, marked
    /// as just used and counted as a hit (lock held).
    private func lookup(_ w: Tensor, scheme: String, where matches: (Entry) -> Bool) -> Entry? {
        let address = w.data.withUnsafeBufferPointer { $0.baseAddress }
        clock += 1
        guard let e = entries.first(where: {
            $0.scheme == scheme && $0.source.count == w.count && $0.source.withUnsafeBufferPointer({ $0.baseAddress }) == address
                && matches($0)
        }) else { return nil }
        e.lastUse = clock
        hits += 1
        return e
    }

    /// Keeps `e` as the most recently used entry, then evicts down to the
    /// capacity (lock held).
    private func insert(_ e: Entry) {
        clock += 1
        e.lastUse = clock
        entries.append(e)
        stores += 1
        trim()
    }

    /// Drops every entry and zeroes the counters.
    public func removeAll() {
        lock.lock(); entries.removeAll(); hits = 0; stores = 0; lock.unlock()
    }

    /// Evicts the least recently used entries until the rest fit (lock held).
    private func trim() {
        var held = entries.reduce(0) { $0 + $1.size }
        while held > limit, let i = entries.indices.min(by: { entries[$0].lastUse < entries[$1].lastUse }) {
            held -= entries[i].size
            entries.remove(at: i)
        }
    }
}
