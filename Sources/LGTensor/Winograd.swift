import Foundation

/// 3x3 stride-1 convolutions by Winograd's minimal filtering F(2x2, 3x3)
/// (Lavin & Gray 2016): each 2x2 output tile comes from a 4x4 input tile in
/// 16 multiplications instead of 36, so the GEMM work is 2.25x smaller than
/// im2col's. Per call:
///
///   U = G g Gᵀ          the weights, 16 matrices of (Cout, Cin)
///   V = Bᵀ d B          the input tiles, 16 matrices of (Cin, tiles)
///   M_ξ = U_ξ V_ξ       16 GEMMs
///   y = Aᵀ m A          the output tiles
///
/// Every buffer is written in full before it is read (no zero-fill).
/// Tiles cover every sample of the batch (one GEMM spans several samples)
/// and are processed in chunks of tile rows so V and M stay a few MB.
/// Float32 rounding differs from im2col's by about 1e-6 relative (the
/// transforms only add, subtract and halve).
///
/// Where it is used is a policy (`LG_WINOGRAD`): by default only where no
/// gradient is recorded (generator forward passes, labelling, evaluation).
/// Training can use it too (`always`: forward and both gradients; an NSE-2
/// step at 256 px 1.5x faster), but its rounding, though tiny, moves the
/// near-zero gradients that Adam's first steps turn into full-size updates:
/// on the reference's 3-step NSE-2 fixture the step-2 gradients then differ
/// by up to 8e-4 relative, above the 1e-4 tolerance, so exact reproduction
/// keeps im2col in training.
public enum Winograd {
    public enum Policy: String, Sendable, Codable, CaseIterable {
        /// Never: im2col everywhere.
        case off
        /// Outside training only (the default).
        case inference
        /// Also in training (forward and input gradient).
        case always
    }

    /// From the environment variable LG_WINOGRAD (off | inference | always).
    nonisolated(unsafe) public static var policy: Policy = {
        guard let s = ProcessInfo.processInfo.environment["LG_WINOGRAD"] else { return .inference }
        return Policy(rawValue: s) ?? .inference
    }()

    /// Runs `body` under `policy` (nil: the current one), restoring the
    /// previous policy after. The policy is process-wide: jobs run one per
    /// process (`worker exec-job`), so a job's choice is its own.
    public static func with<T>(policy: Policy?, _ body: () throws -> T) rethrows -> T {
        guard let policy else { return try body() }
        let saved = self.policy
        self.policy = policy
        defer { self.policy = saved }
        return try body()
    }

    /// Whether a convolution may use Winograd: `training` when its result
    /// is recorded for a backward pass (and for the backward pass itself).
    public static func allowed(training: Bool) -> Bool {
        switch policy {
        case .off: return false
        case .inference: return !training
        case .always: return true
        }
    }

    /// Off: every convolution takes the im2col path whatever the policy
    /// (tests compare the two; the benchmark reports both).
    nonisolated(unsafe) public static var enabled = true
    /// Floats per chunk of transformed tiles (V, and M alike).
    nonisolated(unsafe) static var chunkBudget = 1 << 21
    /// Fewer output tiles than this (over the batch) stay with im2col: the
    /// 16 GEMMs would be too narrow.
    nonisolated(unsafe) static var minimumTiles = 256
    /// Fewer input or output channels than this stay with im2col (the
    /// benchmark lowers it to measure both sides of the line). 8 each way
    /// is enough (`lg-bench --section winograd-f4`, 2026-12-06: 16 -> 15 and
    /// 8 -> 8 at 1024 px, PGGAN's top layer and the NSE-2 head's classes,
    /// take 0.7-0.8x im2col's time forward and backward).
    nonisolated(unsafe) public static var minimumChannels = 8

    /// True for 3x3, stride 1, no dilation, one group, equal padding 0-2,
    /// and enough tiles and channels (`minimumChannels`). Few channels are
    /// enough: 16 -> 16 at 512 and 1024 px, the top layers of the 1024-px
    /// generators, take 0.41-0.46x im2col's time with F(4x4) and 0.79-0.91x
    /// with F(2x2) (`lg-bench --section winograd-f4`, 2026-12-06); im2col's
    /// GEMMs are too thin there.
    static func applies(_ x: [Int], _ w: [Int], _ o: Conv2DOptions) -> Bool {
        guard enabled, w[2] == 3, w[3] == 3, o.stride == (1, 1), o.dilation == (1, 1), o.groups == 1,
              o.padding.h == o.padding.w, (0...2).contains(o.padding.h) else { return false }
        let ho = x[2] + 2 * o.padding.h - 2, wo = x[3] + 2 * o.padding.w - 2
        guard ho > 0, wo > 0 else { return false }
        let tiles = x[0] * ((ho + 1) / 2) * ((wo + 1) / 2)
        return tiles >= minimumTiles && x[1] >= minimumChannels && w[0] >= minimumChannels
    }

    /// The weight of the convolution that gives a stride-1 3x3 convolution's
    /// input gradient: w'[ci][co][i][j] = w[co][ci][2-i][2-j] (with padding 2 - p).
    static func adjointWeight(_ w: Tensor) -> Tensor {
        let cout = w.shape[0], cin = w.shape[1]
        var d = [Float](repeating: 0, count: w.count)
        w.data.withUnsafeBufferPointer { s in
            for co in 0..<cout { for ci in 0..<cin { for i in 0..<3 { for j in 0..<3 {
                d[((ci * cout + co) * 3 + 2 - i) * 3 + 2 - j] = s[((co * cin + ci) * 3 + i) * 3 + j]
            } } } }
        }
        return Tensor(shape: [cin, cout, 3, 3], data: d)
    }

    /// conv2d(x, w, padding: pad) for a 3x3 weight (Cout, Cin, 3, 3),
    /// stride 1, by the Winograd scheme `T` (F(2x2, 3x3) or F(4x4, 3x3)).
    static func conv<T: WinogradTiling>(_ x: Tensor, _ w: Tensor, pad: Int, tiling: T.Type,
                                        epilogue: ChannelEpilogue? = nil) -> Tensor {
        let n = x.shape[0], cin = x.shape[1], h = x.shape[2], wd = x.shape[3], cout = w.shape[0]
        precondition(w.shape == [cout, cin, 3, 3], "winograd: weight \(w.shape) for input \(x.shape)")
        let ho = h + 2 * pad - 2, wo = wd + 2 * pad - 2
        let chunks = TileChunks(batch: n, outH: ho, outW: wo, channels: max(cin, cout), tile: T.tile, planes: T.planes)
        let th = chunks.tilesHigh, tw = chunks.tilesWide
        var out = [Float](uninitializedCount: n * cout * ho * wo)
        // U, V and M from the scratch pool (tens of MB: fresh pages each call would cost their zeroing).
        ScratchPool.shared.with([T.planes * cout * cin, T.planes * cin * chunks.maxTiles, T.planes * cout * chunks.maxTiles]) { buffers in
            let v = buffers[1], m = buffers[2]
            // U kept between inference calls with the same weight (`TransformedWeightCache`).
            TransformedWeightCache.shared.with(w, scheme: "\(T.self)", count: T.planes * cout * cin, scratch: buffers[0], transform: { u in
                w.data.withUnsafeBufferPointer { wp in T.transformWeights(wp.baseAddress!, cout: cout, cin: cin, into: u) }
            }) { u in
            x.data.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { yp in
                let input = TileGeometry(channels: cin, h: h, w: wd, tilesHigh: th, tilesWide: tw, pad: pad)
                let output = TileGeometry(channels: cout, h: ho, w: wo, tilesHigh: th, tilesWide: tw, pad: 0)
                for rows in chunks.ranges {
                    let tc = rows.count * tw
                    T.transformInput(xp.baseAddress!, input, rows: rows, into: v)
                    Winograd.planeGEMMs(T.planes) { xi in
                        BLAS.gemm(transA: false, transB: false, m: cout, n: tc, k: cin,
                                  a: u + xi * cout * cin, lda: cin,
                                  b: v + xi * cin * tc, ldb: tc,
                                  c: m + xi * cout * tc, ldc: tc)
                    }
                    T.writeOutput(yp.baseAddress!, output, rows: rows, from: m, epilogue: epilogue)
                }
            }}}
        }
        return Tensor(shape: [n, cout, ho, wo], data: out)
    }

    /// The weight gradient of conv2d(x, w, padding: pad) for a 3x3 weight,
    /// stride 1, given the output gradient gy (N, Cout, Ho, Wo): with
    /// y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A per tile,
    ///
    ///   ∂M = A ∂y Aᵀ            the output-gradient tiles, planes x (Cout, tiles)
    ///   ∂U_ξ = ∂M_ξ V_ξᵀ        one GEMM per plane, summed over every tile of the batch
    ///   ∂g = Gᵀ ∂U G            (Cout, Cin, 3, 3)
    ///
    /// 2.25x (F(2x2)) or 4x (F(4x4)) fewer multiply-adds than im2col's
    /// (Cout, 9 Cin, positions) product.
    static func weightGradient<T: WinogradTiling>(_ x: Tensor, _ gy: Tensor, pad: Int, tiling: T.Type) -> Tensor {
        let n = x.shape[0], cin = x.shape[1], h = x.shape[2], wd = x.shape[3], cout = gy.shape[1]
        let ho = h + 2 * pad - 2, wo = wd + 2 * pad - 2
        precondition(gy.shape == [n, cout, ho, wo], "winograd: output gradient \(gy.shape) for input \(x.shape)")
        let chunks = TileChunks(batch: n, outH: ho, outW: wo, channels: max(cin, cout), tile: T.tile, planes: T.planes)
        let th = chunks.tilesHigh, tw = chunks.tilesWide
        var gw = [Float](uninitializedCount: cout * cin * 9)
        ScratchPool.shared.with([T.planes * cout * cin, T.planes * cin * chunks.maxTiles, T.planes * cout * chunks.maxTiles]) { buffers in
            let du = buffers[0], v = buffers[1], dm = buffers[2]
            x.data.withUnsafeBufferPointer { xp in
            gy.data.withUnsafeBufferPointer { gp in
                let input = TileGeometry(channels: cin, h: h, w: wd, tilesHigh: th, tilesWide: tw, pad: pad)
                let gradient = TileGeometry(channels: cout, h: ho, w: wo, tilesHigh: th, tilesWide: tw, pad: 0)
                for rows in chunks.ranges {
                    let tc = rows.count * tw
                    T.transformInput(xp.baseAddress!, input, rows: rows, into: v)
                    T.transformGradient(gp.baseAddress!, gradient, rows: rows, into: dm)
                    Winograd.planeGEMMs(T.planes) { xi in
                        BLAS.gemm(transA: false, transB: true, m: cout, n: cin, k: tc,
                                  a: dm + xi * cout * tc, lda: tc,
                                  b: v + xi * cin * tc, ldb: tc,
                                  beta: rows.lowerBound == 0 ? 0 : 1,
                                  c: du + xi * cout * cin, ldc: cin)
                    }
                }
            }}
            gw.withUnsafeMutableBufferPointer { gp in T.untransformWeights(du, cout: cout, cin: cin, into: gp.baseAddress!) }
        }
        return Tensor(shape: [cout, cin, 3, 3], data: gw)
    }

    /// ∂g[co][ci] = Gᵀ ∂U G (3 x 3 from the 16 planes of ∂U), the adjoint of
    /// `transformWeights`: Gᵀ u = [u0 + ½(u1 + u2), ½(u1 - u2), ½(u1 + u2) + u3].
    static func untransformWeights(_ u: UnsafePointer<Float>, cout: Int, cin: Int, into w: UnsafeMutablePointer<Float>) {
        let plane = cout * cin
        Parallel.forEach(plane, minimum: 256) { range in
            var t = [Float](repeating: 0, count: 12)
            for o in range {
                // Rows: t = Gᵀ ∂U (3 x 4).
                for j in 0..<4 {
                    let u0 = u[j * plane + o], u1 = u[(4 + j) * plane + o], u2 = u[(8 + j) * plane + o], u3 = u[(12 + j) * plane + o]
                    t[j] = u0 + 0.5 * (u1 + u2)
                    t[4 + j] = 0.5 * (u1 - u2)
                    t[8 + j] = 0.5 * (u1 + u2) + u3
                }
                // Columns: t G (3 x 3).
                let g = w + o * 9
                for i in 0..<3 {
                    let a = t[4 * i], b = t[4 * i + 1], c = t[4 * i + 2], d = t[4 * i + 3]
                    g[3 * i] = a + 0.5 * (b + c)
                    g[3 * i + 1] = 0.5 * (b - c)
                    g[3 * i + 2] = 0.5 * (b + c) + d
                }
            }
        }
    }

    /// U_ξ[co][ci] = (G g Gᵀ)[ξ] with G = [[1,0,0],[½,½,½],[½,-½,½],[0,0,1]].
    static func transformWeights(_ w: UnsafePointer<Float>, cout: Int, cin: Int, into u: UnsafeMutablePointer<Float>) {
        let plane = cout * cin
        var t = [Float](repeating: 0, count: 12)
        for co in 0..<cout {
            for ci in 0..<cin {
                let g = w + (co * cin + ci) * 9
                // Rows: t = G g (4 x 3).
                for j in 0..<3 {
                    let g0 = g[j], g1 = g[3 + j], g2 = g[6 + j]
                    t[j] = g0
                    t[3 + j] = 0.5 * (g0 + g1 + g2)
                    t[6 + j] = 0.5 * (g0 - g1 + g2)
                    t[9 + j] = g2
                }
                // Columns: t Gᵀ (4 x 4).
                let o = co * cin + ci
                for i in 0..<4 {
                    let a = t[3 * i], b = t[3 * i + 1], c = t[3 * i + 2]
                    u[(4 * i) * plane + o] = a
                    u[(4 * i + 1) * plane + o] = 0.5 * (a + b + c)
                    u[(4 * i + 2) * plane + o] = 0.5 * (a - b + c)
                    u[(4 * i + 3) * plane + o] = c
                }
            }
        }
    }

    /// Runs the per-plane GEMMs `body(0) ... body(count - 1)` (independent:
    /// each writes its own plane). With `gemmsAcrossCores`, the planes are
    /// split across cores and each GEMM runs single-threaded, instead of each
    /// GEMM split across OpenBLAS's threads, whose hand-offs between
    /// many mid-sized GEMMs cost 10-20 % of a step in scheduling (sched_yield).
    static func planeGEMMs(_ count: Int, _ body: (Int) -> Void) {
        guard gemmsAcrossCores, Parallel.width > 1 else {
            for xi in 0..<count { body(xi) }
            return
        }
        BLAS.singleThreaded { Parallel.forEach(count) { range in for xi in range { body(xi) } } }
    }

    /// Whether `planeGEMMs` splits the planes across cores (a switch for benchmarks).
    nonisolated(unsafe) public static var gemmsAcrossCores: Bool = {
        ProcessInfo.processInfo.environment["LG_PLANE_GEMMS"].map { $0 != "0" } ?? true
    }()

    /// How a batch's tile rows (sample * tilesHigh + ty) are split into
    /// chunks so the transformed tiles (`planes` planes of `channels` x
    /// tiles) stay within `chunkBudget` floats.
    struct TileChunks {
        let tilesHigh, tilesWide, tileRows, rowsPerChunk: Int

        /// `tile` output pixels a side (2 for F(2x2, 3x3), 4 for F(4x4, 3x3)),
        /// `planes` transformed values per tile (16, 36).
        init(batch: Int, outH: Int, outW: Int, channels: Int, tile: Int, planes: Int) {
            tilesHigh = (outH + tile - 1) / tile; tilesWide = (outW + tile - 1) / tile
            tileRows = batch * tilesHigh
            rowsPerChunk = max(1, min(tileRows, chunkBudget / max(1, planes * channels * tilesWide)))
        }

        /// Tiles in the largest chunk (the size of the V and M buffers).
        var maxTiles: Int { rowsPerChunk * tilesWide }
        /// The chunks' tile-row ranges, in order.
        var ranges: [Range<Int>] {
            stride(from: 0, to: tileRows, by: rowsPerChunk).map { $0..<min(tileRows, $0 + rowsPerChunk) }
        }
    }

    /// Calls `body(channel, k, sample, ty, scratch)` for every channel and the
    /// k-th tile row (sample, ty) of `rows`, channels across cores, each part
    /// with its own `scratch` floats. The scaffolding of the three tile passes.
    static func forEachChannelTileRow(channels: Int, rows: Range<Int>, tilesHigh: Int, tilesWide: Int, scratch: Int,
                                      _ body: (Int, Int, Int, Int, UnsafeMutablePointer<Float>) -> Void) {
        Parallel.forEach(channels, minimum: max(1, 4096 / max(1, rows.count * tilesWide))) { range in
            let buf = UnsafeMutablePointer<Float>.allocate(capacity: scratch)
            defer { buf.deallocate() }
            for c in range {
                for (k, r) in rows.enumerated() { body(c, k, r / tilesHigh, r % tilesHigh, buf) }
            }
        }
    }

    /// Copies rows `firstRow ..< firstRow + count` of an `h` x `w` plane into
    /// `count` rows of `width` floats, each shifted right by `pad` columns;
    /// the columns around it and rows outside the plane are zero. The rows a
    /// tile row of a Winograd transform reads.
    @inline(__always)
    static func paddedRows(_ plane: UnsafePointer<Float>, h: Int, w: Int, firstRow: Int, count: Int, width: Int, pad: Int,
                           into d: UnsafeMutablePointer<Float>) {
        let lo = min(width, pad), hi = max(lo, min(width, w + pad))
        for i in 0..<count {
            let y = firstRow + i, row = d + i * width
            guard y >= 0 && y < h else { row.update(repeating: 0, count: width); continue }
            if lo > 0 { row.update(repeating: 0, count: lo) }
            (row + lo).update(from: plane + y * w, count: hi - lo)
            if hi < width { (row + hi).update(repeating: 0, count: width - hi) }
        }
    }



}

/// The layout of one side of a Winograd convolution: a batch of
/// `channels` x `h` x `w` maps cut into `tilesHigh` x `tilesWide` tiles
/// (`pad`: the input's zero padding; 0 for output and gradient sides).
struct TileGeometry {
    let channels, h, w, tilesHigh, tilesWide, pad: Int
}

/// One Winograd scheme F(m x m, 3x3): its output tile side m, its
/// (m + 2)² transformed planes, and its transforms. `Winograd.conv` and
/// `Winograd.weightGradient` run any of them.
protocol WinogradTiling {
    static var tile: Int { get }
    static var planes: Int { get }
    /// U_ξ = (G g Gᵀ)[ξ], planes of (Cout, Cin).
    static func transformWeights(_ w: UnsafePointer<Float>, cout: Int, cin: Int, into u: UnsafeMutablePointer<Float>)
    /// ∂g = Gᵀ ∂U G, the adjoint of `transformWeights`.
    static func untransformWeights(_ u: UnsafePointer<Float>, cout: Int, cin: Int, into w: UnsafeMutablePointer<Float>)
    /// V_ξ = (Bᵀ d B)[ξ] of the tiles in tile rows `rows`.
    static func transformInput(_ x: UnsafePointer<Float>, _ g: TileGeometry, rows: Range<Int>, into v: UnsafeMutablePointer<Float>)
    /// ∂M_ξ = (A ∂y Aᵀ)[ξ] of the output-gradient tiles in `rows`.
    static func transformGradient(_ gy: UnsafePointer<Float>, _ g: TileGeometry, rows: Range<Int>, into m: UnsafeMutablePointer<Float>)
    /// y = Aᵀ m A for the tiles in `rows`, written where they fall inside the output.
    /// y = Aᵀ m A for the tiles in `rows`, each channel then mapped by `epilogue` (if any).
    static func writeOutput(_ y: UnsafeMutablePointer<Float>, _ g: TileGeometry, rows: Range<Int>, from m: UnsafePointer<Float>,
                            epilogue: ChannelEpilogue?)
}

extension Winograd {
    /// F(2x2, 3x3): 4x4 input tiles at stride 2, 16 planes.
    enum F2x2: WinogradTiling {
        static let tile = 2, planes = 16
        static func transformWeights(_ w: UnsafePointer<Float>, cout: Int, cin: Int, into u: UnsafeMutablePointer<Float>) {
            Winograd.transformWeights(w, cout: cout, cin: cin, into: u)
        }
        static func untransformWeights(_ u: UnsafePointer<Float>, cout: Int, cin: Int, into w: UnsafeMutablePointer<Float>) {
            Winograd.untransformWeights(u, cout: cout, cin: cin, into: w)
        }
        static func transformInput(_ x: UnsafePointer<Float>, _ g: TileGeometry, rows: Range<Int>, into v: UnsafeMutablePointer<Float>) {
            g.inputTilesF2(x, rows: rows, into: v)
        }
        static func transformGradient(_ gy: UnsafePointer<Float>, _ g: TileGeometry, rows: Range<Int>, into m: UnsafeMutablePointer<Float>) {
            g.gradientTilesF2(gy, rows: rows, into: m)
        }
        static func writeOutput(_ y: UnsafeMutablePointer<Float>, _ g: TileGeometry, rows: Range<Int>, from m: UnsafePointer<Float>,
                                epilogue: ChannelEpilogue?) {
            g.outputTilesF2(y, rows: rows, from: m, epilogue: epilogue)
        }
    }
}

extension Winograd.Policy {
    /// The policy of a training job (`train`, `train_fewshot`) that does not
    /// say: `always` (an NSE-2 step 1.5-1.9x faster; its gradients differ from
    /// im2col's by float32 rounding, 8e-4 relative on the reference's first
    /// steps), unless the environment sets `LG_WINOGRAD`.
    /// `winograd=inference` reproduces the reference's first Adam steps to 1e-4.
    public static var trainingDefault: Winograd.Policy {
        ProcessInfo.processInfo.environment["LG_WINOGRAD"].flatMap(Winograd.Policy.init(rawValue:)) ?? .always
    }
}

extension TileGeometry {
    /// The input side: 4x4 tiles at stride 2 over a zero-padded NCHW batch.
    /// Works a tile row at a time so every store runs along a row of V.
    /// V_ξ[ci][t] = (Bᵀ d B)[ξ] for the tiles of tile rows `rows` (each
    /// row index is sample * tilesHigh + ty), t counting from the chunk's first.
    func inputTilesF2(_ base: UnsafePointer<Float>, rows: Range<Int>, into v: UnsafeMutablePointer<Float>) {
        let tc = rows.count * tilesWide, tw = tilesWide
        let width = 2 * tw + 2  // the padded columns the row's tiles read
        let stride = channels * tc
        Winograd.forEachChannelTileRow(channels: channels, rows: rows, tilesHigh: tilesHigh, tilesWide: tw,
                                       scratch: 8 * width) { ci, k, sample, ty, d in
            let sRows = d + 4 * width
            let plane = base + (sample * channels + ci) * h * w
            // The four input rows of this tile row, zero-padded to `width`.
            Winograd.paddedRows(plane, h: h, w: w, firstRow: 2 * ty - pad, count: 4, width: width, pad: pad, into: d)
            // Rows of Bᵀ d, along the whole row.
            let d0 = d, d1 = d + width, d2 = d + 2 * width, d3 = d + 3 * width
            let s0 = sRows, s1 = sRows + width, s2 = sRows + 2 * width, s3 = sRows + 3 * width
            for x in 0..<width {
                s0[x] = d0[x] - d2[x]; s1[x] = d1[x] + d2[x]; s2[x] = d2[x] - d1[x]; s3[x] = d1[x] - d3[x]
            }
            // Columns: (Bᵀ d) B, one run of `tw` per ξ.
            let col = ci * tc + k * tw
            for i in 0..<4 {
                let sr = sRows + i * width
                let v0 = v + (4 * i) * stride + col, v1 = v0 + stride, v2 = v1 + stride, v3 = v2 + stride
                for tx in 0..<tw {
                    let a = sr[2 * tx], b = sr[2 * tx + 1], c = sr[2 * tx + 2], e = sr[2 * tx + 3]
                    v0[tx] = a - c; v1[tx] = b + c; v2[tx] = c - b; v3[tx] = b - e
                }
            }
        }
    }

    /// The output gradient's side: ∂M_ξ[co][t] = (A ∂y Aᵀ)[ξ] for the 2x2
    /// output-gradient tiles of tile rows `rows` (zero past the output's edge),
    /// in the layout of `inputTilesF2`. A ∂y Aᵀ maps [[p, q], [r, s]] to
    /// rows (p, q), (p + r, q + s), (p - r, q - s), (-r, -s), and each row
    /// (a, b) to (a, a + b, a - b, -b).
    func gradientTilesF2(_ base: UnsafePointer<Float>, rows: Range<Int>, into m: UnsafeMutablePointer<Float>) {
        let tc = rows.count * tilesWide, tw = tilesWide
        let stride = channels * tc
        let width = 2 * tw
        // Scratch: the two gradient rows zero-padded to 2 tw, then the four rows of A ∂y.
        Winograd.forEachChannelTileRow(channels: channels, rows: rows, tilesHigh: tilesHigh, tilesWide: tw,
                                       scratch: 6 * width) { co, k, sample, ty, buf in
            let plane = base + (sample * channels + co) * h * w
            Winograd.paddedRows(plane, h: h, w: w, firstRow: 2 * ty, count: 2, width: width, pad: 0, into: buf)
            let r0 = buf, r1 = buf + width, rowsOut = buf + 2 * width
            let a0 = rowsOut, a1 = a0 + width, a2 = a1 + width, a3 = a2 + width
            for x in 0..<width {
                let p = r0[x], q = r1[x]
                a0[x] = p; a1[x] = p + q; a2[x] = p - q; a3[x] = -q
            }
            let col = co * tc + k * tw
            for i in 0..<4 {
                let sr = rowsOut + i * width
                let m0 = m + (4 * i) * stride + col, m1 = m0 + stride, m2 = m1 + stride, m3 = m2 + stride
                for tx in 0..<tw {
                    let a = sr[2 * tx], b = sr[2 * tx + 1]
                    m0[tx] = a; m1[tx] = a + b; m2[tx] = a - b; m3[tx] = -b
                }
            }
        }
    }

    /// The output side: y = Aᵀ m A with Aᵀ = [[1,1,1,0],[0,1,-1,-1]], a tile
    /// row at a time, each tile's 2x2 written where it falls inside the output.
    func outputTilesF2(_ base: UnsafeMutablePointer<Float>, rows: Range<Int>, from m: UnsafePointer<Float>,
                       epilogue: ChannelEpilogue? = nil) {
        let tc = rows.count * tilesWide, tw = tilesWide
        let stride = channels * tc
        // Scratch: rows of Aᵀ m, a_j (first output row) and b_j (second), j = column of m.
        Winograd.forEachChannelTileRow(channels: channels, rows: rows, tilesHigh: tilesHigh, tilesWide: tw,
                                       scratch: 8 * tw) { co, k, sample, ty, buf in
            let plane = base + (sample * channels + co) * h * w
            let col = co * tc + k * tw
            for j in 0..<4 {
                let m0 = m + j * stride + col, m1 = m0 + 4 * stride, m2 = m1 + 4 * stride, m3 = m2 + 4 * stride
                let a = buf + j * tw, b = buf + (4 + j) * tw
                for tx in 0..<tw {
                    a[tx] = m0[tx] + m1[tx] + m2[tx]
                    b[tx] = m1[tx] - m2[tx] - m3[tx]
                }
            }
            for i in 0..<2 where 2 * ty + i < h {
                let out = plane + (2 * ty + i) * w, sums = buf + 4 * i * tw
                let c0 = sums, c1 = sums + tw, c2 = sums + 2 * tw, c3 = sums + 3 * tw
                let full = w / 2
                for tx in 0..<full {
                    out[2 * tx] = c0[tx] + c1[tx] + c2[tx]
                    out[2 * tx + 1] = c1[tx] - c2[tx] - c3[tx]
                }
                if full < tw { out[2 * full] = c0[full] + c1[full] + c2[full] }
                epilogue?.apply(out, count: w, channel: co)
            }
        }
    }
}
