import CKernels

extension Tensor {
    /// Max pooling over (N, C, H, W); returns the output and the flat input
    /// index of each maximum (for the backward pass). Padding counts as -inf.
    public func maxPool2d(kernel: Int, stride: Int? = nil, padding: Int = 0) -> (Tensor, [Int32]) {
        let (s, h, w, planes, oh, ow) = maxPoolGeometry(kernel: kernel, stride: stride, padding: padding)
        var out = [Float](uninitializedCount: planes * oh * ow)
        var idx = [Int32](repeating: 0, count: planes * oh * ow)
        // Planes across cores (every output is written); 2x2 windows of
        // stride 2 without padding (the UNet's pooling) in a loop of their own.
        let plain2x2 = kernel == 2 && s == 2 && padding == 0
        data.withUnsafeBufferPointer { sp in
        out.withUnsafeMutableBufferPointer { op in
        idx.withUnsafeMutableBufferPointer { ip in
            let src = UncheckedSendable(sp.baseAddress!), o = UncheckedSendable(op.baseAddress!), ix0 = UncheckedSendable(ip.baseAddress!)
            Parallel.forEach(planes, minimum: max(1, Tensor.elementwiseGrain / max(1, h * w))) { range in
                let src = src.value, out = o.value, idx = ix0.value
                for p in range {
                    for oy in 0..<oh {
                        if plain2x2 {
                            let r0 = p * h * w + 2 * oy * w, r1 = r0 + w, ob = (p * oh + oy) * ow
                            for ox in 0..<ow {
                                var bi = r0 + 2 * ox, best = src[bi]
                                @inline(__always) func take(_ cand: Int) {
                                    let v = src[cand]
                                    if v > best || v.isNaN { best = v; bi = cand }
                                }
                                take(r0 + 2 * ox + 1); take(r1 + 2 * ox); take(r1 + 2 * ox + 1)
                                out[ob + ox] = best; idx[ob + ox] = Int32(bi)
                            }
                            continue
                        }
                        for ox in 0..<ow {
                            var best = -Float.infinity, bi = -1
                            for ky in 0..<kernel {
                                let iy = oy * s - padding + ky
                                if iy < 0 || iy >= h { continue }
                                for kx in 0..<kernel {
                                    let ix = ox * s - padding + kx
                                    if ix < 0 || ix >= w { continue }
                                    let v = src[p * h * w + iy * w + ix]
                                    if v > best || bi < 0 || v.isNaN { best = v; bi = p * h * w + iy * w + ix }
                                }
                            }
                            let o = (p * oh + oy) * ow + ox
                            out[o] = best; idx[o] = Int32(bi)
                        }
                    }
                }
            }
        }}}
        return (Tensor(shape: [shape[0], shape[1], oh, ow], data: out), idx)
    }
}

extension Tensor {
    /// Max pooling's stride, input sides, planes and output sides, checked.
    func maxPoolGeometry(kernel: Int, stride: Int?, padding: Int) -> (Int, Int, Int, Int, Int, Int) {
        precondition(rank == 4, "maxPool2d needs an (N, C, H, W) tensor, got \(shape)")
        let s = stride ?? kernel
        let h = shape[2], w = shape[3]
        let oh = (h + 2 * padding - kernel) / s + 1, ow = (w + 2 * padding - kernel) / s + 1
        precondition(oh > 0 && ow > 0, "maxPool2d: input \(shape) too small for kernel \(kernel)")
        return (s, h, w, shape[0] * shape[1], oh, ow)
    }

    /// `maxPool2d`'s output without the indices of the maxima, for
    /// inference (the scene segmenter's stem, the face parser): the same
    /// values (padding -inf, NaN wins), planes across cores, each plane by
    /// `lg_max_pool_plane` (per output row the maximum down every input
    /// column, then across each window's columns, both without branches).
    /// The segmenter's 3x3 stride-2 pooling of 128 planes of 128 x 128 took
    /// 6.7 ms through `maxPool2d` and 6.3 ms through a branching Swift loop
    /// on the Zen 5 VM.
    public func maxPool2dValues(kernel: Int, stride: Int? = nil, padding: Int = 0) -> Tensor {
        let (s, h, w, planes, oh, ow) = maxPoolGeometry(kernel: kernel, stride: stride, padding: padding)
        var out = [Float](uninitializedCount: planes * oh * ow)
        data.withUnsafeBufferPointer { sp in
        out.withUnsafeMutableBufferPointer { op in
            let src = UncheckedSendable(sp.baseAddress!), o = UncheckedSendable(op.baseAddress!)
            Parallel.forEach(planes, minimum: max(1, Tensor.elementwiseGrain / max(1, h * w))) { range in
                let buf = UnsafeMutablePointer<Float>.allocate(capacity: 2 * (w + 2 * padding + kernel))
                defer { buf.deallocate() }
                for p in range {
                    lg_max_pool_plane(src.value + p * h * w, h, w, kernel, s, padding, oh, ow, buf, o.value + p * oh * ow)
                }
            }
        }}
        return Tensor(shape: [shape[0], shape[1], oh, ow], data: out)
    }
}

extension Variable {
    /// Max pooling; see `Tensor.maxPool2d`.
    public func maxPool2d(kernel: Int, stride: Int? = nil, padding: Int = 0) -> Variable {
        let (out, idx) = value.maxPool2d(kernel: kernel, stride: stride, padding: padding)
        guard Variable.tracking(self) else { return Variable(out) }
        let s = shape
        return Variable(out, parents: [self]) { g in
            var gx = [Float](repeating: 0, count: Tensor.count(of: s))
            for i in 0..<g.count { gx[Int(idx[i])] += g.data[i] }
            return [Tensor(shape: s, data: gx)]
        }
    }
}
