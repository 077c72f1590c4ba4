import Foundation

/// Dilated convolutions whose off-centre taps read only zero padding over
/// part of the output: DeepLabV3's ASPP branches at rates 12 and 24 on a
/// 32x32 map, where im2col would multiply zeros for 44 % and 75 % of its
/// work. The output splits, along each axis, into bands over which the set
/// of taps that reach the image is the same (`tapBands`, which decide
/// whether this pays: `tapRegionShare`). It runs tap by tap: each tap
/// reaches the image from a rectangle of outputs, and is one GEMM of its
/// (Cout, Cin) weight block over that rectangle's inputs. A tap over whole
/// rows of the map (the centre column's) multiplies the input in place
/// into the output in place; the others copy their input rectangle, and
/// add their product into place. Each tap's weights are read once (a
/// region at a time read 49 tap blocks of 2 MB at rate 12, against 9),
/// and the GEMMs are up to 1024 columns wide. The same products as
/// `conv2d`, summed in another order (float32 rounding apart, the same
/// result).
///
/// The weight is read as (kh, kw, Cout, Cin), so each tap's block is
/// contiguous; that permutation is kept between inference calls
/// (`TransformedWeightCache`, scheme "hwoi").
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
        // Each tap's outputs: those where it reads inside the map, a rectangle.
        struct Tap { let ky, kx: Int; let rows, cols: Range<Int> }
        var taps: [Tap] = []
        for ky in 0..<kh {
            for kx in 0..<kw {
                // Output o reads o - p + k d, inside the map for o in [p - k d, n + p - k d).
                let r0 = max(0, ph - ky * dh), r1 = min(ho, h + ph - ky * dh)
                let c0 = max(0, pw - kx * dw), c1 = min(wo, w + pw - kx * dw)
                if r0 < r1 && c0 < c1 { taps.append(Tap(ky: ky, kx: kx, rows: r0..<r1, cols: c0..<c1)) }
            }
        }
        // A tap over whole rows of the map (its column offset zero) multiplies
        // the input in place, into the output in place; the first that covers
        // every output writes it, the others add.
        func wholeRows(_ t: Tap) -> Bool { t.cols == 0..<wo && wo == w && t.kx * dw == pw }
        let first = taps.firstIndex { $0.rows == 0..<ho && wholeRows($0) }
        if let first { taps.insert(taps.remove(at: first), at: 0) }
        let maxArea = taps.filter { !wholeRows($0) }.map { $0.rows.count * $0.cols.count }.max() ?? 1
        var out = first == nil ? [Float](repeating: 0, count: n * cout * ho * wo) : [Float](uninitializedCount: n * cout * ho * wo)
        ScratchPool.shared.with([cout * cin * kh * kw, cin * maxArea, cout * maxArea]) { buffers in
            let b = UncheckedSendable(buffers[1]), r = UncheckedSendable(buffers[2])
            TransformedWeightCache.shared.with(weight, scheme: "hwoi", count: cout * cin * kh * kw, scratch: buffers[0], transform: { t in
                weight.permuted([2, 3, 0, 1]).data.withUnsafeBufferPointer { t.update(from: $0.baseAddress!, count: $0.count) }
            }) { wt in
            data.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { yp in
                let x = UncheckedSendable(xp.baseAddress!), y = UncheckedSendable(yp.baseAddress!)
                for s in 0..<n {
                    let xs = x.value + s * cin * h * w, ys = y.value + s * cout * ho * wo
                    for (i, t) in taps.enumerated() {
                        // The tap's (Cout, Cin) block of the (kh, kw, Cout, Cin) weight.
                        let a = wt + (t.ky * kw + t.kx) * cout * cin
                        let iy0 = t.rows.lowerBound - ph + t.ky * dh, ix0 = t.cols.lowerBound - pw + t.kx * dw
                        if wholeRows(t) {
                            BLAS.gemm(transA: false, transB: false, m: cout, n: t.rows.count * wo, k: cin,
                                      a: a, lda: cin, b: xs + iy0 * w, ldb: h * w,
                                      beta: i == 0 && first != nil ? 0 : 1, c: ys + t.rows.lowerBound * wo, ldc: ho * wo)
                            continue
                        }
                        // The tap's input rectangle, (Cin, rows x cols); its product; added into place.
                        let rh = t.rows.count, rw = t.cols.count, area = rh * rw
                        Parallel.forEach(cin, minimum: max(1, 8192 / area)) { channels in
                            for ci in channels {
                                let plane = xs + ci * h * w, dst = b.value + ci * area
                                for j in 0..<rh { (dst + j * rw).update(from: plane + (iy0 + j) * w + ix0, count: rw) }
                            }
                        }
                        BLAS.gemm(transA: false, transB: false, m: cout, n: area, k: cin, a: a, lda: cin,
                                  b: b.value, ldb: area, beta: 0, c: r.value, ldc: area)
                        Parallel.forEach(cout, minimum: max(1, 8192 / area)) { channels in
                            for co in channels {
                                let src = r.value + co * area, dst = ys + co * ho * wo + t.rows.lowerBound * wo + t.cols.lowerBound
                                for j in 0..<rh {
                                    let d = dst + j * wo, e = src + j * rw
                                    for u in 0..<rw { d[u] += e[u] }
                                }
                            }
                        }
                    }
                }
            }}}
        }
        return Tensor(shape: [n, cout, ho, wo], data: out)
    }
}
