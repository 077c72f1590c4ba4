import Foundation
import CKernels

/// 3x3 stride-1 convolutions by Winograd's F(4x4, 3x3) (Lavin & Gray 2016):
/// each 4x4 output tile comes from a 6x6 input tile in 36 multiplications
/// instead of 144, so the GEMM work is 4x smaller than im2col's (F(2x2, 3x3):
/// 2.25x). The same four steps as `Winograd.conv`, with 36 planes:
///
///   U = G g Gᵀ     Gᵀ rows [¼,0,0], [-⅙,-⅙,-⅙], [-⅙,⅙,-⅙], [1/24,1/12,⅙], [1/24,-1/12,⅙], [0,0,1]
///   V = Bᵀ d B     Bᵀ rows [4,0,-5,0,1,0], [0,-4,-4,1,1,0], [0,4,-4,-1,1,0],
///                          [0,-2,-1,2,1,0], [0,2,-1,-2,1,0], [0,4,0,-5,0,1]
///   M_ξ = U_ξ V_ξ  36 GEMMs
///   y = Aᵀ m A     Aᵀ rows [1,1,1,1,1,0], [0,1,-1,2,-2,0], [0,1,1,4,4,0], [0,1,-1,8,-8,1]
///
/// The interpolation points 0, ±1, ±2 scale values by up to 8 and 1/24, so
/// float32 rounding is larger than F(2x2, 3x3)'s (about 1e-5 relative to
/// the output's scale against 1e-6). It is used where the maps are large
/// enough to fill its GEMMs (`Winograd.useF4`); smaller ones keep F(2x2, 3x3).
extension Winograd {
    /// Off: every Winograd convolution uses F(2x2, 3x3) (benchmarks compare the two).
    nonisolated(unsafe) public static var largeTiles = true
    /// Fewer 4x4 output tiles than this (over the batch) keep F(2x2, 3x3)
    /// (LG_F4_MIN_TILES overrides it, for tuning). With the plane GEMMs
    /// across cores, F(4x4, 3x3) is ahead from 64 tiles on: 512 ch @32 px
    /// 1.27x, @64 1.38x (forward), 1.1-1.3x backward.
    nonisolated(unsafe) static var minimumTilesF4: Int = {
        Int(ProcessInfo.processInfo.environment["LG_F4_MIN_TILES"] ?? "") ?? 64
    }()

    /// Whether a convolution that `applies` takes F(4x4, 3x3).
    static func useF4(batch: Int, outH: Int, outW: Int) -> Bool {
        largeTiles && outH >= 8 && outW >= 8 && batch * ((outH + 3) / 4) * ((outW + 3) / 4) >= minimumTilesF4
    }

    /// conv2d(x, w, padding: pad), 3x3, stride 1, choosing F(4x4) or F(2x2)
    /// tiles; `epilogue` maps each output channel as it is written.
    static func convAuto(_ x: Tensor, _ w: Tensor, pad: Int, epilogue: ChannelEpilogue? = nil) -> Tensor {
        let ho = x.shape[2] + 2 * pad - 2, wo = x.shape[3] + 2 * pad - 2
        return useF4(batch: x.shape[0], outH: ho, outW: wo)
            ? conv(x, w, pad: pad, tiling: F4x4.self, epilogue: epilogue)
            : conv(x, w, pad: pad, tiling: F2x2.self, epilogue: epilogue)
    }

    /// The weight gradient, choosing the tiles as `convAuto` does.
    static func weightGradientAuto(_ x: Tensor, _ gy: Tensor, pad: Int) -> Tensor {
        useF4(batch: gy.shape[0], outH: gy.shape[2], outW: gy.shape[3])
            ? weightGradient(x, gy, pad: pad, tiling: F4x4.self) : weightGradient(x, gy, pad: pad, tiling: F2x2.self)
    }

    /// F(4x4, 3x3): 6x6 input tiles at stride 4, 36 planes.
    enum F4x4: WinogradTiling {
        static let tile = 4, planes = 36
        static func transformWeights(_ w: UnsafePointer<Float>, cout: Int, cin: Int, into u: UnsafeMutablePointer<Float>) {
            Winograd.transformWeightsF4(w, cout: cout, cin: cin, into: u)
        }
        static func untransformWeights(_ u: UnsafePointer<Float>, cout: Int, cin: Int, into w: UnsafeMutablePointer<Float>) {
            Winograd.untransformWeightsF4(u, cout: cout, cin: cin, into: w)
        }
        static func transformInput(_ x: UnsafePointer<Float>, _ g: TileGeometry, rows: Range<Int>, into v: UnsafeMutablePointer<Float>) {
            g.inputTilesF4(x, rows: rows, into: v)
        }
        static func transformGradient(_ gy: UnsafePointer<Float>, _ g: TileGeometry, rows: Range<Int>, into m: UnsafeMutablePointer<Float>) {
            g.gradientTilesF4(gy, rows: rows, into: m)
        }
        static func writeOutput(_ y: UnsafeMutablePointer<Float>, _ g: TileGeometry, rows: Range<Int>, from m: UnsafePointer<Float>,
                                epilogue: ChannelEpilogue?) {
            g.outputTilesF4(y, rows: rows, from: m, epilogue: epilogue)
        }
    }

    /// U_ξ[co][ci] = (G g Gᵀ)[ξ], ξ = 6 i + j. Eight (co, ci) pairs at a
    /// time in SIMD lanes, so each plane gets eight contiguous floats per
    /// store instead of one float in each of 36 planes.
    static func transformWeightsF4(_ w: UnsafePointer<Float>, cout: Int, cin: Int, into u: UnsafeMutablePointer<Float>) {
        let plane = cout * cin
        typealias V = SIMD8<Float>
        @inline(__always) func g6(_ a: V, _ b: V, _ c: V) -> (V, V, V, V, V, V) {
            let q = a * (1 / 24 as Float) + c * (1 / 6 as Float), r = b * (1 / 12 as Float)
            return (a * 0.25, (a + b + c) * (-1 / 6 as Float), (a - b + c) * (-1 / 6 as Float), q + r, q - r, c)
        }
        Parallel.forEach((plane + 7) / 8, minimum: 32) { blocks in
            let scratch = UnsafeMutablePointer<V>.allocate(capacity: 27)
            defer { scratch.deallocate() }
            let g = scratch, t = scratch + 9
            for blk in blocks {
                let o = blk * 8, lanes = min(8, plane - o)
                // g[k] for the eight pairs, k = 3 row + column.
                if lanes < 8 { for k in 0..<9 { g[k] = V() } }
                for l in 0..<lanes { let src = w + (o + l) * 9; for k in 0..<9 { g[k][l] = src[k] } }
                // Rows: t = G g (6 x 3).
                for j in 0..<3 {
                    let r = g6(g[j], g[3 + j], g[6 + j])
                    t[j] = r.0; t[3 + j] = r.1; t[6 + j] = r.2; t[9 + j] = r.3; t[12 + j] = r.4; t[15 + j] = r.5
                }
                // Columns: t Gᵀ (6 x 6), stored plane by plane.
                for i in 0..<6 {
                    let r = g6(t[3 * i], t[3 * i + 1], t[3 * i + 2])
                    let base = u + 6 * i * plane + o
                    @inline(__always) func put(_ j: Int, _ v: V) {
                        let dst = base + j * plane
                        if lanes == 8 {
                            UnsafeMutableRawPointer(dst).storeBytes(of: v, as: V.self)
                        } else {
                            for l in 0..<lanes { dst[l] = v[l] }
                        }
                    }
                    put(0, r.0); put(1, r.1); put(2, r.2); put(3, r.3); put(4, r.4); put(5, r.5)
                }
            }
        }
    }

    /// ∂g[co][ci] = Gᵀ ∂U G (3 x 3 from the 36 planes of ∂U), the adjoint of
    /// `transformWeightsF4`, eight pairs at a time.
    static func untransformWeightsF4(_ u: UnsafePointer<Float>, cout: Int, cin: Int, into w: UnsafeMutablePointer<Float>) {
        let plane = cout * cin
        typealias V = SIMD8<Float>
        @inline(__always) func gt(_ a: V, _ b: V, _ c: V, _ d: V, _ e: V, _ f: V) -> (V, V, V) {
            let bc = (b + c) * (1 / 6 as Float), de = d + e
            return (a * 0.25 - bc + de * (1 / 24 as Float), (c - b) * (1 / 6 as Float) + (d - e) * (1 / 12 as Float),
                    de * (1 / 6 as Float) - bc + f)
        }
        Parallel.forEach((plane + 7) / 8, minimum: 32) { blocks in
            let scratch = UnsafeMutablePointer<V>.allocate(capacity: 54)
            defer { scratch.deallocate() }
            let m = scratch, t = scratch + 36
            for blk in blocks {
                let o = blk * 8, lanes = min(8, plane - o)
                if lanes < 8 { for xi in 0..<36 { m[xi] = V() } }
                for xi in 0..<36 {
                    let src = u + xi * plane + o
                    if lanes == 8 {
                        m[xi] = UnsafeRawPointer(src).loadUnaligned(as: V.self)
                    } else {
                        for l in 0..<lanes { m[xi][l] = src[l] }
                    }
                }
                // Rows: t = Gᵀ ∂U (3 x 6).
                for j in 0..<6 {
                    let r = gt(m[j], m[6 + j], m[12 + j], m[18 + j], m[24 + j], m[30 + j])
                    t[j] = r.0; t[6 + j] = r.1; t[12 + j] = r.2
                }
                // Columns: t G (3 x 3), scattered to the pairs' 3x3 kernels.
                for i in 0..<3 {
                    let r = gt(t[6 * i], t[6 * i + 1], t[6 * i + 2], t[6 * i + 3], t[6 * i + 4], t[6 * i + 5])
                    for l in 0..<lanes {
                        let dst = w + (o + l) * 9 + 3 * i
                        dst[0] = r.0[l]; dst[1] = r.1[l]; dst[2] = r.2[l]
                    }
                }
            }
        }
    }
}

extension TileGeometry {
    /// The input side: 6x6 tiles at stride 4 over a zero-padded NCHW batch,
    /// a tile row at a time (as `inputTilesF2`).
    /// V_ξ[ci][t] = (Bᵀ d B)[ξ] for the tiles of tile rows `rows`.
    func inputTilesF4(_ base: UnsafePointer<Float>, rows: Range<Int>, into v: UnsafeMutablePointer<Float>) {
        let tc = rows.count * tilesWide, tw = tilesWide
        let width = 4 * tw + 2  // the padded columns the row's tiles read
        let stride = channels * tc
        let q = tw + 1  // a residue run: the row's columns 4 t + m, t = 0 ... tw
        // The rows above and below the map read as zeros.
        let zeros = [Float](repeating: 0, count: w)
        zeros.withUnsafeBufferPointer { zp in
            let zero = UncheckedSendable(zp.baseAddress!)
            Winograd.forEachChannelTileRow(channels: channels, rows: rows, tilesHigh: tilesHigh, tilesWide: tw,
                                           scratch: 6 * width + 4 * q) { ci, k, sample, ty, scratch in
                let plane = base + (sample * channels + ci) * h * w
                let first = 4 * ty - pad
                @inline(__always) func row(_ i: Int) -> UnsafePointer<Float>? {
                    let y = first + i
                    return y >= 0 && y < h ? plane + y * w : zero.value
                }
                // Bᵀ d B for the row's tiles, read in place, in the CPU's widest variant (CKernels).
                var six: (UnsafePointer<Float>?, UnsafePointer<Float>?, UnsafePointer<Float>?,
                          UnsafePointer<Float>?, UnsafePointer<Float>?, UnsafePointer<Float>?) = (row(0), row(1), row(2), row(3), row(4), row(5))
                withUnsafePointer(to: &six) { p in
                    p.withMemoryRebound(to: UnsafePointer<Float>?.self, capacity: 6) { rp in
                        lg_wf4_input_tile_row(rp, w, pad, tw, scratch, v + ci * tc + k * tw, stride)
                    }
                }
            }
        }
    }

    /// The output gradient's side: ∂M_ξ = (A ∂y Aᵀ)[ξ] for the 4x4
    /// output-gradient tiles (zero past the output's edge); A maps
    /// (p0, p1, p2, p3) to (p0, p0+p1+p2+p3, p0-p1+p2-p3, p0+2p1+4p2+8p3, p0-2p1+4p2-8p3, p3).
    func gradientTilesF4(_ base: UnsafePointer<Float>, rows: Range<Int>, into m: UnsafeMutablePointer<Float>) {
        let tc = rows.count * tilesWide, tw = tilesWide
        let stride = channels * tc
        let width = 4 * tw
        // Scratch: the four gradient rows zero-padded to 4 tw, then the six rows of A ∂y.
        Winograd.forEachChannelTileRow(channels: channels, rows: rows, tilesHigh: tilesHigh, tilesWide: tw,
                                       scratch: 10 * width) { co, k, sample, ty, buf in
            let plane = base + (sample * channels + co) * h * w
            Winograd.paddedRows(plane, h: h, w: w, firstRow: 4 * ty, count: 4, width: width, pad: 0, into: buf)
            // A ∂y Aᵀ for the row's tiles (CKernels).
            lg_wf4_gradient_tile_row(buf, tw, buf + 4 * width, m + co * tc + k * tw, stride)
        }
    }

    /// The output side: y = Aᵀ m A, a tile row at a time, each tile's 4x4
    /// written where it falls inside the output.
    func outputTilesF4(_ base: UnsafeMutablePointer<Float>, rows: Range<Int>, from m: UnsafePointer<Float>,
                       epilogue e: ChannelEpilogue? = nil) {
        let tc = rows.count * tilesWide, tw = tilesWide
        let stride = channels * tc
        // Scratch: rows of Aᵀ m, 4 output rows x 6 columns of m, each `tw` long; then one output row.
        Winograd.forEachChannelTileRow(channels: channels, rows: rows, tilesHigh: tilesHigh, tilesWide: tw,
                                       scratch: 28 * tw) { co, k, sample, ty, buf in
            let plane = base + (sample * channels + co) * h * w
            // Aᵀ m A, each tile's 4x4 written where it falls inside the output (CKernels).
            // With an epilogue, each row mapped as it is written.
            let ep = e.kernelArguments(channel: co)
            lg_wf4_output_tile_row(m + co * tc + k * tw, stride, tw, buf, plane + 4 * ty * w, w, min(4, h - 4 * ty),
                                   ep.mode, ep.scale, ep.shift, ep.slope)
        }
    }
}
