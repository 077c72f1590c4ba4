import XCTest
@testable import LGTensor

/// `TransformedWeightCache`: inference calls with the same weight storage
/// reuse its Winograd transform; any change to the weight is a miss; calls
/// that record gradients never use it.
final class WeightCacheTests: XCTestCase {
    private var saved: (Winograd.Policy, Int, Int, Int)!

    override func setUp() {
        saved = (Winograd.policy, Winograd.minimumTransposedTiles, Winograd.minimumTransposedTilesF4,
                 TransformedWeightCache.shared.capacity)
        Winograd.policy = .inference
        Winograd.minimumTransposedTiles = 1
        Winograd.minimumTransposedTilesF4 = 1
        TransformedWeightCache.shared.removeAll()
        TransformedWeightCache.shared.capacity = 1 << 24
    }

    override func tearDown() {
        (Winograd.policy, Winograd.minimumTransposedTiles, Winograd.minimumTransposedTilesF4,
         TransformedWeightCache.shared.capacity) = saved
        TransformedWeightCache.shared.removeAll()
    }

    func testSameWeightHitsAndChangedWeightMisses() {
        let cache = TransformedWeightCache.shared
        let x = randn([2, 32, 8, 8], seed: 3)
        var w = randn([32, 40, 4, 4], seed: 4)
        let o = ConvTranspose2DOptions(stride: 2, padding: 1)
        let expected = x.convTranspose2d(w, o)  // gradients recorded by default: no caching
        XCTAssertEqual(cache.stores, 0)
        let (first, second) = GradMode.withoutGradients { (x.convTranspose2d(w, o), x.convTranspose2d(w, o)) }
        XCTAssertEqual(cache.stores, 1)
        XCTAssertEqual(cache.hits, 1, "the second call reuses the transform")
        XCTAssertEqual(first.data, expected.data)
        XCTAssertEqual(second.data, expected.data)

        // Writing to the weight copies its storage first: a miss, and the new values.
        w.data[5] += 1
        let changed = GradMode.withoutGradients { x.convTranspose2d(w, o) }
        XCTAssertEqual(cache.hits, 1)
        XCTAssertEqual(cache.stores, 2)
        XCTAssertEqual(changed.data, x.convTranspose2d(w, o).data)
        XCTAssertNotEqual(changed.data, expected.data)

        // 3x3 Winograd convolutions share the cache (F(2x2) and F(4x4) apart).
        let k = randn([48, 32, 3, 3], seed: 5), big = randn([4, 32, 16, 16], seed: 6)
        let conv = big.conv2d(k, .init(padding: 1))
        let cached = GradMode.withoutGradients { (big.conv2d(k, .init(padding: 1)), big.conv2d(k, .init(padding: 1))) }
        XCTAssertEqual(cache.stores, 3)
        XCTAssertEqual(cache.hits, 2)
        XCTAssertEqual(cached.0.data, cached.1.data)
        assertClose(cached.0, conv, atol: 1e-3)

        // Opted out: neither read nor filled.
        let bypassed = TransformedWeightCache.withoutCaching { GradMode.withoutGradients { big.conv2d(k, .init(padding: 1)) } }
        XCTAssertEqual([cache.stores, cache.hits], [3, 2])
        XCTAssertEqual(bypassed.data, cached.0.data)
    }

    /// A tensor derived from a weight is made once per weight storage and
    /// given back as the same storage, so that the convolution it feeds hits
    /// too; a write to the weight makes it anew; where gradients are
    /// recorded or caching is off it is made every time and not kept.
    func testDerivedTensorIsKeptPerWeightStorage() {
        let cache = TransformedWeightCache.shared
        var w = randn([32, 40, 3, 3], seed: 7)
        var made = 0
        let derive = { (w: Tensor) -> Tensor in
            GradMode.withoutGradients {
                cache.derived(w, scheme: "test-up") { made += 1; return (Variable(w) * 0.5).upfirdn2d(Tensor(repeating: 1, shape: [2, 2]), UpFirDnOptions(pad: (1, 1))).value }
            }
        }
        let a = derive(w), b = derive(w)
        XCTAssertEqual(made, 1)
        XCTAssertEqual(a.data.withUnsafeBufferPointer { $0.baseAddress }, b.data.withUnsafeBufferPointer { $0.baseAddress },
                       "the same storage, so its own transforms are hits")
        XCTAssertEqual(a.shape, [32, 40, 4, 4])
        XCTAssertEqual(cache.heldFloats, a.count)

        // The convolution it feeds stores its transform once and then hits.
        let x = randn([1, 32, 8, 8], seed: 8), o = ConvTranspose2DOptions(stride: 2, padding: 1)
        let first = GradMode.withoutGradients { x.convTranspose2d(derive(w), o) }
        let stores = cache.stores, hits = cache.hits
        let second = GradMode.withoutGradients { x.convTranspose2d(derive(w), o) }
        XCTAssertEqual(cache.stores, stores, "nothing new kept on a repeated call")
        XCTAssertEqual(cache.hits, hits + 2, "the derived tensor and its transform")
        XCTAssertEqual(first.data, second.data)

        // Another scheme on the same weight is its own entry.
        _ = GradMode.withoutGradients { cache.derived(w, scheme: "test-other") { made += 1; return w } }
        XCTAssertEqual(made, 2)

        // A changed weight is new storage: made anew, with the new values.
        w.data[0] += 1
        let changed = derive(w)
        XCTAssertEqual(made, 3)
        XCTAssertNotEqual(changed.data, a.data)

        // Recorded gradients, or caching off: made every time, nothing kept.
        let held = cache.heldFloats
        _ = cache.derived(w, scheme: "test-up") { made += 1; return w }
        _ = TransformedWeightCache.withoutCaching { derive(w) }
        XCTAssertEqual(made, 5)
        XCTAssertEqual(cache.heldFloats, held)
    }

    func testCapacityEvictsLeastRecentlyUsed() {
        let cache = TransformedWeightCache.shared
        let x = randn([1, 32, 8, 8], seed: 3)
        let ws = (0..<3).map { randn([32, 32, 4, 4], seed: UInt64(10 + $0)) }
        let o = ConvTranspose2DOptions(stride: 2, padding: 1)
        GradMode.withoutGradients { _ = x.convTranspose2d(ws[0], o) }
        let one = cache.heldFloats
        XCTAssertGreaterThan(one, 0)
        cache.capacity = 2 * one
        GradMode.withoutGradients {
            _ = x.convTranspose2d(ws[1], o)
            _ = x.convTranspose2d(ws[0], o)  // hit: 0 is now the most recent
            _ = x.convTranspose2d(ws[2], o)  // evicts 1
        }
        XCTAssertEqual(cache.heldFloats, 2 * one)
        XCTAssertEqual(cache.hits, 1)
        GradMode.withoutGradients { _ = x.convTranspose2d(ws[0], o) }
        XCTAssertEqual(cache.hits, 2, "0 stayed")
        GradMode.withoutGradients { _ = x.convTranspose2d(ws[1], o) }
        XCTAssertEqual(cache.hits, 2, "1 was evicted")
        cache.capacity = 0
        XCTAssertEqual(cache.heldFloats, 0)
        let y = GradMode.withoutGradients { x.convTranspose2d(ws[2], o) }
        XCTAssertEqual(cache.heldFloats, 0, "nothing kept at capacity 0")
        XCTAssertEqual(y.data, x.convTranspose2d(ws[2], o).data)
    }

    /// BatchNorm (eval) and ReLU folded into a transposed convolution give the
    /// bits of the three ops one after another, on every path: F(4x4, 2x2)
    /// (applied per row while writing), F(2x2, 2x2) (per channel plane while
    /// writing) and the direct form (after).
    func testEpilogueMatchesBatchNormAndReLU() {
        let o = ConvTranspose2DOptions(stride: 2, padding: 1)
        for (i, (xs, cout)) in [([2, 32, 8, 8], 40), ([1, 32, 6, 6], 36), ([2, 8, 4, 4], 3)].enumerated() {
            let x = randn(xs, seed: UInt64(30 + i)), w = randn([xs[1], cout, 4, 4], seed: UInt64(40 + i))
            let gamma = randn([cout], seed: 50), beta = randn([cout], seed: 51), mean = randn([cout], seed: 52)
            var runningMean = mean, runningVar = randn([cout], seed: 53).map { abs($0) + 0.5 }
            let e = ChannelEpilogue(batchNormWeight: gamma, bias: beta, runningMean: runningMean, runningVar: runningVar,
                                    eps: 1e-5, relu: true)
            let fused = GradMode.withoutGradients { x.convTranspose2d(w, o, epilogue: e) }
            let plain = GradMode.withoutGradients {
                Variable(x.convTranspose2d(w, o)).batchNorm(weight: Variable(gamma), bias: Variable(beta), runningMean: &runningMean,
                                                           runningVar: &runningVar, training: false).relu()
            }
            XCTAssertEqual(fused.data, plain.value.data, "case \(i)")
            XCTAssertTrue(fused.data.contains(0) && fused.data.contains { $0 > 0 }, "the ReLU clips some, not all")
        }
    }
}
