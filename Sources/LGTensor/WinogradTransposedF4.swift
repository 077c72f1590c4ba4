import CKernels
import Foundation

/// The 4x4 stride-2 padding-1 transposed convolution by Winograd's
/// F(4x4, 2x2) per output phase: the same decomposition as
/// `TransposedChunk`, F(2x2, 2x2) (each phase (py, px) is a stride-1 2x2
/// correlation of the zero-bordered input d: along an axis, phase-local
/// output s = d[s + p] g0 + d[s + p + 1] g1 with g0 = w[3 - p], g1 = w[1 - p]),
/// with 4x4 output tiles from 5x5 input windows. Per axis F(4, 2) takes 5
/// multiplications for 4 outputs, so a phase's tile takes 25 instead of 64:
/// 0.39 of the direct form's multiply-adds, against F(2x2, 2x2)'s 0.5625.
///
/// Interpolation points 0, 1, -1, 2 and ∞; Bᵀ's rows scaled to integers
/// and G's divided by the same factors:
///
///   Bᵀ rows [2,-1,-2,1,0], [0,2,1,-1,0], [0,-2,3,-1,0], [0,-1,0,1,0], [0,2,-1,-2,1]
///   G rows  [½,0], [½,½], [⅙,-⅙], [⅙,⅓], [0,1]
///   Aᵀ rows [1,1,1,1,0], [0,1,-1,2,0], [0,1,1,4,0], [0,1,-1,8,1]
///
///   U = G g Gᵀ     per phase 25 matrices (Cin, Cout): 100 planes
///   V = Bᵀ d B     per phase 25 matrices (Cin, tiles): 100 planes
///   M_ξ = U_ξᵀ V_ξ 100 GEMMs
///   y = Aᵀ m A     each phase's 4x4 output tiles (every other pixel of y)
///
/// Used for inputs whose sides are multiples of 4 with enough tiles, for the
/// size of their weights, to fill the GEMMs (`useTransposedF4`); others keep
/// F(2x2, 2x2). The scaled transforms keep float32 rounding near F(4x4,
/// 3x3)'s (about 1e-6 relative). The tile loops are CKernels' `lg_tf4_*`.
extension Winograd {
    /// Fewer 4x4 tiles per phase (over the batch) than this keep F(2x2, 2x2)
    /// (`LG_TF4_MIN_TILES` overrides it, for tuning).
    nonisolated(unsafe) static var minimumTransposedTilesF4: Int = {
        Int(ProcessInfo.processInfo.environment["LG_TF4_MIN_TILES"] ?? "") ?? 64
    }()

    /// U floats above which F(4x4, 2x2) needs twice `minimumTransposedTilesF4`.
    static let largeTransposedWeightsF4 = 1 << 22

    /// Whether a transposed convolution of input `x` to `cout` channels that
    /// `appliesTransposed` takes F(4x4, 2x2). U (100 Cin Cout floats, 6.25x
    /// the weight and 2.8x F(2x2, 2x2)'s) is read once per call: a large U
    /// that no cache holds costs more than F(4x4)'s saved multiply-adds over
    /// few tiles. DCGAN-64's 512 -> 256 layer at batch 64 (64 tiles, U 13M
    /// floats) took 11.9 ms in F(4x4, 2x2) against 9.6 ms in F(2x2, 2x2), and
    /// the whole forward 39.7-43.1 against 38.6-41.7 ms (2026-12-07).
    static func useTransposedF4(_ x: [Int], cout: Int) -> Bool {
        let tiles = x[0] * (x[2] / 4) * (x[3] / 4)
        let needed = 100 * x[1] * cout > largeTransposedWeightsF4 ? 2 * minimumTransposedTilesF4 : minimumTransposedTilesF4
        return largeTiles && x[2] % 4 == 0 && x[3] % 4 == 0 && tiles >= needed
    }

    /// U[phase][5 r + c] = (G g Gᵀ)[r][c] as (Cin, Cout) matrices, planes
    /// `TransposedChunk.weightPlane` floats apart, for the phase's taps
    /// g[i][j] = w[ci][co][3 - py - 2i][3 - px - 2j]. With G's rows (a, b),
    /// (G g Gᵀ)[r][c] = a_r a_c g00 + a_r b_c g01 + b_r a_c g10 + b_r b_c g11:
    /// each plane is one combination of the four taps, eight output
    /// channels at a time.
    static func transformTransposedWeightsF4(_ w: UnsafePointer<Float>, cin: Int, cout: Int,
                                             into u: UnsafeMutablePointer<Float>) {
        let plane = TransposedChunk.weightPlane(cin: cin, cout: cout)
        let ga: [Float] = [0.5, 0.5, 1 / 6, 1 / 6, 0], gb: [Float] = [0, 0.5, -1 / 6, 1 / 3, 1]
        var coefficients: [SIMD4<Float>] = []
        for r in 0..<5 { for c in 0..<5 { coefficients.append([ga[r] * ga[c], ga[r] * gb[c], gb[r] * ga[c], gb[r] * gb[c]]) } }
        Parallel.forEach(cin, minimum: 8) { range in
            let taps = UnsafeMutablePointer<Float>.allocate(capacity: 4 * cout)
            defer { taps.deallocate() }
            let g00 = taps, g01 = taps + cout, g10 = taps + 2 * cout, g11 = taps + 3 * cout
            for ci in range {
                for phase in 0..<4 {
                    let py = phase / 2, px = phase % 2
                    let i00 = (3 - py) * 4 + 3 - px, i01 = (3 - py) * 4 + 1 - px
                    let i10 = (1 - py) * 4 + 3 - px, i11 = (1 - py) * 4 + 1 - px
                    let k = w + ci * cout * 16
                    for co in 0..<cout {
                        let t = k + co * 16
                        g00[co] = t[i00]; g01[co] = t[i01]; g10[co] = t[i10]; g11[co] = t[i11]
                    }
                    let base = u + phase * 25 * plane + ci * cout
                    for (xi, f) in coefficients.enumerated() {
                        let o = base + xi * plane
                        var co = 0
                        while co + 8 <= cout {
                            func load(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
                                UnsafeRawPointer(p + co).loadUnaligned(as: SIMD8<Float>.self)
                            }
                            var value = f[0] * load(g00)
                            value += f[1] * load(g01)
                            value += f[2] * load(g10)
                            value += f[3] * load(g11)
                            UnsafeMutableRawPointer(o + co).storeBytes(of: value, as: SIMD8<Float>.self)
                            co += 8
                        }
                        while co < cout {
                            o[co] = f[0] * g00[co] + f[1] * g01[co] + f[2] * g10[co] + f[3] * g11[co]
                            co += 1
                        }
                    }
                }
            }
        }
    }

    /// A chunk of whole samples: the 100 planes of transformed windows
    /// (phase, row ξ, column ξ; each Cin x tiles) and the output. Tiles are
    /// ordered (ty, sample, tx): one tile row of every sample after another,
    /// so that both transforms run over long contiguous runs of tiles.
    struct TransposedChunkF4: TransposedWinogradChunk {
        static let scheme = "transposedF4", tileSide = 4, gemms = 100, inputPlanes = 100
        /// Layers with small weights (U up to 1M floats: DCGAN-64's 16 px
        /// layer) take chunks of up to 4M floats of V and M, which stay in
        /// cache between the transforms and the GEMMs (14.4-14.9 -> 13.2-13.4
        /// ms there); for larger weights re-reading U per chunk costs more.
        static func chunkBudget(cin: Int, cout: Int) -> Int {
            100 * cin * cout <= 1 << 20 ? min(transposedChunkBudget, 1 << 22) : transposedChunkBudget
        }
        static func transformWeights(_ w: UnsafePointer<Float>, cin: Int, cout: Int, into u: UnsafeMutablePointer<Float>) {
            transformTransposedWeightsF4(w, cin: cin, cout: cout, into: u)
        }
        /// Every GEMM reads its own plane of V.
        static func inputPlane(ofGEMM plane: Int) -> Int { plane }

        let channelsIn, channelsOut, h, w, samples: Int
        var th: Int { h / 4 }
        var tw: Int { w / 4 }
        var tiles: Int { samples * th * tw }
        var inputPlane: Int { channelsIn * tiles + TransposedChunk.skew }
        var outputPlane: Int { channelsOut * tiles + TransposedChunk.skew }

        /// V = Bᵀ d B for every phase's 5x5 windows: phase (py, px), tile
        /// (ty, tx) reads d's rows 4 ty + py ... + 4 and columns 4 tx + px
        /// ... + 4, d being the input zero-bordered by one pixel. Per input
        /// channel, first the five column combinations of every row of d of
        /// every sample, for both column phases (C), then the row
        /// combinations over runs of tiles. C keeps d's rows grouped by
        /// row mod 4 (row r at slot (r mod 4) (h/4 + 1) + r / 4, a slot
        /// holding that row of every sample), so that the rows one window row
        /// reads over all tile rows (4 ty + py + k) are one contiguous run
        /// in the tiles' order.
        func transformInput(_ x: UnsafePointer<Float>, into v: UnsafeMutablePointer<Float>) {
            let h = h, w = w, th = th, tw = tw, samples = samples, per = h / 4 + 1
            let rowLen = samples * tw, cp = 4 * per * rowLen
            let stride = inputPlane, tiles = tiles, run = th * rowLen
            Parallel.forEach(channelsIn) { range in
                let buf = UnsafeMutablePointer<Float>.allocate(capacity: 10 * cp)
                let split = UnsafeMutablePointer<Float>.allocate(capacity: 4 * (tw + 1))
                defer { buf.deallocate(); split.deallocate() }
                // d's rows 0 and h + 1 are the zero border.
                for c in 0..<10 {
                    (buf + c * cp).update(repeating: 0, count: rowLen)
                    (buf + c * cp + (per + h / 4) * rowLen).update(repeating: 0, count: rowLen)
                }
                for ci in range {
                    for sample in 0..<samples {
                        let src = x + (sample * channelsIn + ci) * h * w
                        for y in 0..<h {
                            let r = y + 1
                            // Both column phases' five combinations (CKernels).
                            lg_tf4_input_row(src + y * w, tw, split, buf + ((r & 3) * per + (r >> 2)) * rowLen + sample * tw, cp)
                        }
                    }
                    let base = v + ci * tiles
                    for py in 0..<2 {
                        // Where window row k's run starts within a block of C.
                        @inline(__always) func start(_ k: Int) -> Int { (((py + k) & 3) * per + ((py + k) >> 2)) * rowLen }
                        for px in 0..<2 {
                            for c in 0..<5 {
                                let col = UnsafePointer(buf + (5 * px + c) * cp)
                                lg_tf4_input_columns(col + start(0), col + start(1), col + start(2), col + start(3), col + start(4),
                                                     run, base + ((2 * py + px) * 25 + c) * stride, 5 * stride)
                            }
                        }
                    }
                }
            }
        }

        /// y[sample][co][2 (4 ty + k) + py][2 (4 tx + l) + px] = (Aᵀ m A)[k][l]
        /// for every phase. Per output channel, first Aᵀ m A of every tile of
        /// the four phases (Y[phase][4 k + l][tile]; CKernels),
        /// then each output row in order, interleaving the phases' columns.
        func writeOutput(_ m: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, epilogue: ChannelEpilogue?) {
            let ow = 2 * w, op = 4 * h * w, th = th, tw = tw, samples = samples, tiles = tiles
            let stride = outputPlane, rowLen = samples * tw
            Parallel.forEach(channelsOut) { range in
                let ys = UnsafeMutablePointer<Float>.allocate(capacity: 64 * tiles)
                defer { ys.deallocate() }
                for co in range {
                    for phase in 0..<4 {
                        lg_tf4_output_tiles(m + phase * 25 * stride + co * tiles, stride, tiles, ys + phase * 16 * tiles)
                    }
                    let ep = epilogue.kernelArguments(channel: co)
                    for sample in 0..<samples {
                        let out = y + (sample * channelsOut + co) * op
                        for ty in 0..<th {
                            let first = ty * rowLen + sample * tw  // tile (ty, sample, 0)
                            for k in 0..<4 {
                                for py in 0..<2 {
                                    // Phase (py, 0) at the even columns, (py, 1) at the odd (CKernels).
                                    let even = ys + (2 * py) * 16 * tiles + 4 * k * tiles + first
                                    lg_tf4_output_row(even, even + 16 * tiles, tiles, tw, out + (8 * ty + 2 * k + py) * ow,
                                                      ep.mode, ep.scale, ep.shift, ep.slope)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
