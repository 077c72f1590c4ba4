import CKernels
import Foundation

/// The 4x4 stride-2 transposed convolution (padding 1: DCGAN's and
/// StyleGAN's fused upsampling layers) by Winograd's F(2x2, 2x2).
///
/// Each output phase (py, px) = (oy mod 2, ox mod 2) is a stride-1 2x2
/// correlation of the input: along one axis, output 2t + a takes input rows
/// t + a - 1 and t + a with taps w[3 - a] and w[1 - a]. F(2, 2) gives two
/// outputs of such a correlation in 3 multiplications instead of 4 (Bᵀ =
/// [[1,-1,0],[0,1,0],[0,-1,1]], G = [[1,0],[1,1],[0,1]], Aᵀ = [[1,1,0],[0,1,1]]),
/// so a 2x2 tile of one phase takes 9 instead of 16: per phase
///
///   U = G g Gᵀ          the phase's 2x2 taps, 9 matrices of (Cout, Cin)
///   V = Bᵀ d B          3x3 input tiles at stride 2, 9 matrices of (Cin, tiles)
///   M_ξ = U_ξ V_ξ       9 GEMMs
///   y = Aᵀ m A          the phase's 2x2 output tiles (every other pixel of y)
///
/// 0.5625 of the direct form's multiply-adds and no col2im. The transforms
/// only add and subtract, so the result differs from im2col + col2im by
/// float32 rounding. Used where `Winograd.policy` allows (by default outside
/// training) for layers with enough channels; see `appliesTransposed`.
extension Winograd {
    /// Fewer tiles per phase (over the batch) than this stay direct.
    nonisolated(unsafe) static var minimumTransposedTiles = 64

    /// Floats of V and M together per chunk of samples (at most 128 MB).
    /// Larger than the 3x3 path's `chunkBudget`: fewer, wider GEMMs (the
    /// whole batch of DCGAN-64's layers at once) measured 5-10 % faster on
    /// the DCGAN-64 forward than 2M-float chunks, in alternating runs.
    /// `LG_TCHUNK` overrides it (floats), for tuning; F(4x4, 2x2) caps it
    /// at 4M floats for layers with small weights (`TransposedChunkF4.chunkBudget`).
    nonisolated(unsafe) static var transposedChunkBudget = Int(ProcessInfo.processInfo.environment["LG_TCHUNK"] ?? "") ?? (1 << 25)

    /// True for a 4x4 kernel, stride 2, padding 1, no output padding or
    /// dilation, one group, an even-sized input and at least 32 channels in
    /// and out.
    static func appliesTransposed(_ x: [Int], _ w: [Int], _ o: ConvTranspose2DOptions) -> Bool {
        guard enabled, w[2] == 4, w[3] == 4, o.stride == 2, o.padding == 1, o.outputPadding == 0,
              o.dilation == 1, o.groups == 1, x[2] % 2 == 0, x[3] % 2 == 0 else { return false }
        return x[0] * (x[2] / 2) * (x[3] / 2) >= minimumTransposedTiles && x[1] >= 32 && w[1] >= 32
    }

    /// U[phase][ξ] as (Cin, Cout) matrices (the GEMMs read them transposed),
    /// planes `TransposedChunk.weightPlane` floats apart:
    /// s_i s_j (G g Gᵀ)[ξ] for the phase's taps g[i][j] = w[ci][co][3 - py - 2i][3 - px - 2j].
    /// G g = (g0·, g0· + g1·, g1·), and each row (a, b) times Gᵀ is (a, a + b, b).
    /// The signs s = (1, 1, -1) are those `TransposedChunk.transformInput` leaves out of V.
    static func transformTransposedWeights(_ w: UnsafePointer<Float>, cin: Int, cout: Int,
                                           into u: UnsafeMutablePointer<Float>) {
        let plane = TransposedChunk.weightPlane(cin: cin, cout: cout)
        Parallel.forEach(cin, minimum: 8) { range in
            for ci in range {
                for phase in 0..<4 {
                    let py = phase / 2, px = phase % 2
                    let i00 = (3 - py) * 4 + 3 - px, i01 = (3 - py) * 4 + 1 - px
                    let i10 = (1 - py) * 4 + 3 - px, i11 = (1 - py) * 4 + 1 - px
                    let base = u + phase * 9 * plane + ci * cout
                    let k = w + ci * cout * 16
                    for co in 0..<cout {
                        let t = k + co * 16
                        let g00 = t[i00], g01 = t[i01], g10 = t[i10], g11 = t[i11]
                        let a1 = g00 + g10, b1 = g01 + g11
                        base[co] = g00; base[plane + co] = g00 + g01; base[2 * plane + co] = -g01
                        base[3 * plane + co] = a1; base[4 * plane + co] = a1 + b1; base[5 * plane + co] = -b1
                        base[6 * plane + co] = -g10; base[7 * plane + co] = -(g10 + g11); base[8 * plane + co] = g11
                    }
                }
            }
        }
    }

    /// A chunk of whole samples: the 25 planes of transformed tiles (row and
    /// ξ; each Cin x tiles, tiles ordered sample, ty, tx) and the output.
    /// F(2x2, 2x2): 36 GEMMs, GEMM 9 phase + ξ reading plane
    /// `inputPlaneIndex` of V.
    struct TransposedChunk: TransposedWinogradChunk {
        static let scheme = "transposedF2", tileSide = 2, gemms = 36, inputPlanes = 25
        static func chunkBudget(cin: Int, cout: Int) -> Int { transposedChunkBudget }
        static func transformWeights(_ w: UnsafePointer<Float>, cin: Int, cout: Int, into u: UnsafeMutablePointer<Float>) {
            transformTransposedWeights(w, cin: cin, cout: cout, into: u)
        }
        static func inputPlane(ofGEMM plane: Int) -> Int {
            let phase = plane / 9, xi = plane % 9
            return inputPlaneIndex(py: phase / 2, px: phase % 2, i: xi / 3, j: xi % 3)
        }

        let channelsIn, channelsOut, h, w, samples: Int
        var th: Int { h / 2 }
        var tw: Int { w / 2 }
        var tiles: Int { samples * th * tw }
        /// Floats between consecutive planes of V (and of M, and U): the
        /// planes' size plus one cache line, so that streams written or read
        /// side by side do not fall into one cache set when the size is a
        /// power of two (it often is: 512 channels x 256 tiles), which made
        /// the transforms several times slower.
        static let skew = 16
        var inputPlane: Int { channelsIn * tiles + Self.skew }
        var outputPlane: Int { channelsOut * tiles + Self.skew }
        /// Floats between consecutive planes of U (Cin x Cout each).
        static func weightPlane(cin: Int, cout: Int) -> Int { cin * cout + skew }

        /// The 25 distinct planes of V for all phases, up to the signs (1, 1,
        /// -1) per axis that U carries. With d the input zero-bordered by one
        /// pixel, Bᵀ d B is, per axis, (d0 - d1, d1, -(d1 - d2)) over the
        /// tile's three rows (columns) 2 t + p, + 1, + 2. Over both phases an
        /// axis needs only five such combinations per tile, numbered `2 p + i`
        /// for phase p and ξ index i (phase 0's third is phase 1's first):
        /// 0: d[2t] - d[2t+1], 1: d[2t+1], 2: d[2t+1] - d[2t+2], 3: d[2t+2],
        /// 4: d[2t+2] - d[2t+3]. The plane for row choice r and column choice
        /// c has index `5 r + c` (`inputPlaneIndex`). Per (channel, sample),
        /// the five column combinations of every input row come first (C, in
        /// the even and odd rows of d apart, each (tiles + 1) x tiles wide);
        /// then each plane is one contiguous run of row combinations of C.
        /// The loops are CKernels' `lg_tf2_input_channel`, one input channel
        /// (every sample) per call.
        func transformInput(_ x: UnsafePointer<Float>, into v: UnsafeMutablePointer<Float>) {
            let h = h, w = w, samples = samples, channelsIn = channelsIn, tiles = tiles, stride = inputPlane
            let bufFloats = 10 * (h / 2 + 1) * (w / 2)
            Parallel.forEach(channelsIn, minimum: max(1, 4096 / max(1, samples * h * w))) { range in
                let buf = UnsafeMutablePointer<Float>.allocate(capacity: bufFloats)
                defer { buf.deallocate() }
                for ci in range {
                    lg_tf2_input_channel(x + ci * h * w, channelsIn * h * w, samples, h, w, buf, v + ci * tiles, stride)
                }
            }
        }

        /// The plane of V that phase (py, px), ξ = (i, j) reads.
        static func inputPlaneIndex(py: Int, px: Int, i: Int, j: Int) -> Int {
            (2 * py + i) * 5 + 2 * px + j
        }

        /// y[co][2 (2 ty + i) + py][2 (2 tx + j) + px] = (Aᵀ m A)[i][j] for
        /// every phase: rows of Aᵀ m are (m0 + m1, m1 + m2), and likewise
        /// columns. `epilogue` maps each (sample, channel) plane once its
        /// four phases are in.
        func writeOutput(_ m: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, epilogue: ChannelEpilogue?) {
            let op = 4 * h * w, th = th, tw = tw, samples = samples, channelsOut = channelsOut, tiles = tiles
            let stride = outputPlane
            // One output channel (every sample) per call (CKernels).
            Parallel.forEach(channelsOut, minimum: max(1, 4096 / max(1, samples * op))) { range in
                for co in range {
                    let ep = epilogue.kernelArguments(channel: co)
                    lg_tf2_output_channel(m + co * tiles, stride, samples, th, tw, y + co * op, channelsOut * op,
                                          ep.mode, ep.scale, ep.shift, ep.slope)
                }
            }
        }
    }
}
