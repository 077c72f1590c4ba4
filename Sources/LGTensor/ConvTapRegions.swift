import Foundation

/// Dilated convolutions whose off-centre taps read only zero padding over
/// part of the output: DeepLabV3's ASPP branches at rates 12 and 24 on a
/// 32x32 map, where im2col would multiply zeros for 44 % and 75 % of its
/// work. The output splits, along each axis, into bands over which the set
/// of taps that reach the image is the same (a contiguous range of kernel
/// offsets); each region (row band x column band) is one im2col over its
/// taps only and one GEMM per kernel row, into the region's own buffer,
/// then written into place. The same products as `conv2d`, summed in
/// another order (float32 rounding apart, the same result).
///
/// The weight is read as (Cout, kh, kw, Cin), so a kernel row's taps for
/// every input channel are one contiguous run of K; that permutation is
/// kept between inference calls (`TransformedWeightCache`, scheme "ohwi").
extension Tensor {
    /// One band of outputs along an axis and the kernel offsets that reach
    /// the image from every output in it.
    struct TapBand: Equatable {
        let outputs: Range<Int>
        let taps: Range<Int>
    }

    /// The bands of one axis of a stride-1 convolution: consecutive outputs
    /// whose in-image taps are the same.
    static func tapBands(kernel k: Int, input n: Int, padding p: Int, dilation d: Int) -> [TapBand] {
        let out = n + 2 * p - d * (k - 1)
        guard out > 0 else { return [] }
        func taps(_ o: Int) -> Range<Int> {
            // Tap i reads o - p + i d; in the image when 0 <= o - p + i d < n.
            let lo = (0..<k).first { o - p + $0 * d >= 0 } ?? k
            let hi = ((0..<k).last { o - p + $0 * d < n } ?? -1) + 1
            return lo..<max(lo, hi)
        }
        var bands: [TapBand] = []
        var start = 0, current = taps(0)
        for o in 1..<out {
            let t = taps(o)
            if t != current { bands.append(TapBand(outputs: start..<o, taps: current)); start = o; current = t }
        }
        bands.append(TapBand(outputs: start..<out, taps: current))
        return bands
    }

    /// The share of im2col's multiply-adds that the tap regions spend.
    static func tapRegionShare(_ rows: [TapBand], _ cols: [TapBand], kh: Int, kw: Int) -> Double {
        let used = rows.map { $0.outputs.count * $0.taps.count }.reduce(0, +) * cols.map { $0.outputs.count * $0.taps.count }.reduce(0, +)
        let full = rows.map(\.outputs.count).reduce(0, +) * kh * cols.map(\.outputs.count).reduce(0, +) * kw
        return full == 0 ? 1 : Double(used) / Double(full)
    }

    /// Tap regions are taken when they spend at most this share of im2col's work.
    static let tapRegionThreshold = 0.85

    /// conv2d(x, w, o) (no bias) by tap regions, or nil when that does not
    /// pay: one group, stride 1, dilation above 1, and the regions spending
    /// at most `tapRegionThreshold` of im2col's multiply-adds.
    func conv2dByTapRegions(_ weight: Tensor, _ o: Conv2DOptions) -> Tensor? {
        guard rank == 4, weight.rank == 4, o.groups == 1, o.stride == (1, 1), o.dilation.h > 1 || o.dilation.w > 1,
              weight.shape[1] == shape[1] else { return nil }
        let n = shape[0], cin = shape[1], h = shape[2], w = shape[3]
        let cout = weight.shape[0], kh = weight.shape[2], kw = weight.shape[3]
        let rows = Tensor.tapBands(kernel: kh, input: h, padding: o.padding.h, dilation: o.dilation.h)
        let cols = Tensor.tapBands(kernel: kw, input: w, padding: o.padding.w, dilation: o.dilation.w)
        guard !rows.isEmpty, !cols.isEmpty, rows.allSatisfy({ !$0.taps.isEmpty }), cols.allSatisfy({ !$0.taps.isEmpty }),
              Tensor.tapRegionShare(rows, cols, kh: kh, kw: kw) <= Tensor.tapRegionThreshold else { return nil }
        let ho = rows.last!.outputs.upperBound, wo = cols.last!.outputs.upperBound
        let (ph, pw, dh, dw) = (o.padding.h, o.padding.w, o.dilation.h, o.dilation.w)
        let maxArea = rows.map(\.outputs.count).max()! * cols.map(\.outputs.count).max()!
        let maxK = rows.map(\.taps.count).max()! * cols.map(\.taps.count).max()! * cin
        var out = [Float](uninitializedCount: n * cout * ho * wo)
        ScratchPool.shared.with([cout * cin * kh * kw, maxK * maxArea, cout * maxArea]) { buffers in
            let cols2 = buffers[1], region = buffers[2]
            TransformedWeightCache.shared.with(weight, scheme: "ohwi", count: cout * cin * kh * kw, scratch: buffers[0], transform: { t in
                weight.permuted([0, 2, 3, 1]).data.withUnsafeBufferPointer { t.update(from: $0.baseAddress!, count: $0.count) }
            }) { wt in
            data.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { yp in
                let x = UncheckedSendable(xp.baseAddress!), y = UncheckedSendable(yp.baseAddress!)
                let b = UncheckedSendable(cols2), r = UncheckedSendable(region)
                for s in 0..<n {
                    for rb in rows { for cb in cols {
                        let rh = rb.outputs.count, rw = cb.outputs.count, area = rh * rw
                        let nkx = cb.taps.count
                        // One tap that reads the map as it is (the centre tap of a rate at least
                        // the map's size): the GEMM reads the input itself.
                        let identity = rh == h && rw == w && rb.outputs.lowerBound == 0 && cb.outputs.lowerBound == 0
                            && rb.taps.count == 1 && nkx == 1
                            && rb.taps.lowerBound * dh == ph && cb.taps.lowerBound * dw == pw
                        let source = identity ? UnsafePointer(x.value + s * cin * h * w) : UnsafePointer(b.value)
                        // Otherwise im2col of the region over its taps, rows ordered (ky, kx, ci).
                        if !identity { Parallel.forEach(cin, minimum: max(1, 8192 / max(1, area * rb.taps.count * nkx))) { channels in
                            for ci in channels {
                                let plane = x.value + (s * cin + ci) * h * w
                                for (iy, ky) in rb.taps.enumerated() { for (ix, kx) in cb.taps.enumerated() {
                                    let dst = b.value + ((iy * nkx + ix) * cin + ci) * area
                                    for (j, oy) in rb.outputs.enumerated() {
                                        let src = plane + (oy - ph + ky * dh) * w + cb.outputs.lowerBound - pw + kx * dw
                                        (dst + j * rw).update(from: src, count: rw)
                                    }
                                } }
                            }
                        } }
                        // One GEMM per kernel row: its taps' K block is contiguous in (Cout, kh, kw, Cin).
                        // A region that is the whole output is written in place.
                        let whole = rh == ho && rw == wo
                        let target = whole ? y.value + s * cout * ho * wo : r.value
                        for (iy, ky) in rb.taps.enumerated() {
                            BLAS.gemm(transA: false, transB: false, m: cout, n: area, k: nkx * cin,
                                      a: wt + (ky * kw + cb.taps.lowerBound) * cin, lda: kh * kw * cin,
                                      b: source + iy * nkx * cin * area, ldb: area,
                                      beta: iy == 0 ? 0 : 1,
                                      c: target, ldc: area)
                        }
                        if whole { continue }
                        // Into place.
                        Parallel.forEach(cout, minimum: max(1, 8192 / max(1, area))) { channels in
                            for co in channels {
                                let src = r.value + co * area, dst = y.value + (s * cout + co) * ho * wo
                                for (j, oy) in rb.outputs.enumerated() {
                                    (dst + oy * wo + cb.outputs.lowerBound).update(from: src + j * rw, count: rw)
                                }
                            }
                        }
                    } }
                }
            }}}
        }
        return Tensor(shape: [n, cout, ho, wo], data: out)
    }
}
