import Foundation

/// One Winograd scheme for the 4x4 stride-2 padding-1 transposed
/// convolution by output phase (`TransposedChunk`: F(2x2, 2x2);
/// `TransposedChunkF4`: F(4x4, 2x2)), as the one driver
/// `Winograd.convTransposedPhases` runs it: U from the weight (cached for
/// inference), then per chunk of whole samples V from the input, one GEMM
/// per U plane, and the output written from M.
protocol TransposedWinogradChunk {
    /// The `TransformedWeightCache` key of this scheme's U.
    static var scheme: String { get }
    /// Input positions per tile side (the input's sides must be multiples).
    static var tileSide: Int { get }
    /// Planes of U and of M: one GEMM each.
    static var gemms: Int { get }
    /// Distinct planes of V (several GEMMs may read one).
    static var inputPlanes: Int { get }
    /// Floats of V and M together per chunk, for a weight (cin, cout, 4, 4).
    static func chunkBudget(cin: Int, cout: Int) -> Int
    /// U's `gemms` planes (Cin x Cout each, `TransposedChunk.weightPlane` apart).
    static func transformWeights(_ w: UnsafePointer<Float>, cin: Int, cout: Int, into u: UnsafeMutablePointer<Float>)
    /// The plane of V that GEMM `plane` reads.
    static func inputPlane(ofGEMM plane: Int) -> Int

    init(channelsIn: Int, channelsOut: Int, h: Int, w: Int, samples: Int)
    /// Tiles of the chunk per phase (the GEMMs' N).
    var tiles: Int { get }
    /// Floats between consecutive planes of V, and of M.
    var inputPlane: Int { get }
    var outputPlane: Int { get }
    /// V = Bᵀ d B for the chunk's samples, from their first input float.
    func transformInput(_ x: UnsafePointer<Float>, into v: UnsafeMutablePointer<Float>)
    /// y = Aᵀ m A for the chunk's samples, `epilogue` applied per channel as
    /// the output is written.
    func writeOutput(_ m: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, epilogue: ChannelEpilogue?)
}

extension Winograd {
    /// conv_transpose2d(x, w, stride 2, padding 1) for a weight (Cin, Cout,
    /// 4, 4): F(4x4, 2x2) where `useTransposedF4`, else F(2x2, 2x2).
    /// `epilogue` maps each output channel as it is written.
    static func convTransposedPhases(_ x: Tensor, _ w: Tensor, epilogue: ChannelEpilogue? = nil) -> Tensor {
        useTransposedF4(x.shape, cout: w.shape[1])
            ? convTransposedPhases(x, w, TransposedChunkF4.self, epilogue: epilogue)
            : convTransposedPhases(x, w, TransposedChunk.self, epilogue: epilogue)
    }

    /// The driver of every scheme: chunks of whole samples, each with all
    /// four phases at once. U, V and M come from the scratch pool (fresh
    /// pages each call would cost their zeroing); U is kept between
    /// inference calls with the same weight (`TransformedWeightCache`).
    static func convTransposedPhases<C: TransposedWinogradChunk>(_ x: Tensor, _ w: Tensor, _: C.Type,
                                                                  epilogue: ChannelEpilogue? = nil) -> Tensor {
        let n = x.shape[0], cin = x.shape[1], h = x.shape[2], wd = x.shape[3], cout = w.shape[1]
        precondition(w.shape == [cin, cout, 4, 4] && h % C.tileSide == 0 && wd % C.tileSide == 0,
                     "winograd transposed (\(C.scheme)): weight \(w.shape) for input \(x.shape)")
        let tiles = (h / C.tileSide) * (wd / C.tileSide)  // per sample and phase
        let perSample = (C.inputPlanes * cin + C.gemms * cout) * tiles
        let perChunk = max(1, min(n, C.chunkBudget(cin: cin, cout: cout) / max(1, perSample)))
        let uPlane = TransposedChunk.weightPlane(cin: cin, cout: cout)
        let largest = C(channelsIn: cin, channelsOut: cout, h: h, w: wd, samples: perChunk)
        var out = [Float](uninitializedCount: n * cout * 4 * h * wd)
        ScratchPool.shared.with([C.gemms * uPlane, C.inputPlanes * largest.inputPlane, C.gemms * largest.outputPlane]) { buffers in
            let v = buffers[1], m = buffers[2]
            TransformedWeightCache.shared.with(w, scheme: C.scheme, count: C.gemms * uPlane, scratch: buffers[0], transform: { u in
                w.data.withUnsafeBufferPointer { wp in C.transformWeights(wp.baseAddress!, cin: cin, cout: cout, into: u) }
            }) { u in
            x.data.withUnsafeBufferPointer { xs in
            out.withUnsafeMutableBufferPointer { yp in
                for s0 in stride(from: 0, to: n, by: perChunk) {
                    let chunk = C(channelsIn: cin, channelsOut: cout, h: h, w: wd, samples: min(perChunk, n - s0))
                    let tc = chunk.tiles
                    chunk.transformInput(xs.baseAddress! + s0 * cin * h * wd, into: v)
                    Winograd.planeGEMMs(C.gemms) { plane in
                        BLAS.gemm(transA: true, transB: false, m: cout, n: tc, k: cin,
                                  a: u + plane * uPlane, lda: cout,
                                  b: v + C.inputPlane(ofGEMM: plane) * chunk.inputPlane, ldb: tc,
                                  c: m + plane * chunk.outputPlane, ldc: tc)
                    }
                    chunk.writeOutput(m, into: yp.baseAddress! + s0 * cout * 4 * h * wd, epilogue: epilogue)
                }
            }}}
        }
        return Tensor(shape: [n, cout, 2 * h, 2 * wd], data: out)
    }
}
