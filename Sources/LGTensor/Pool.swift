extension Tensor {
    /// Max pooling over (N, C, H, W); returns the output and the flat input
    /// index of each maximum (for the backward pass). Padding counts as -inf.
    public func maxPool2d(kernel: Int, stride: Int? = nil, padding: Int = 0) -> (Tensor, [Int32]) {
        precondition(rank == 4, "maxPool2d needs an (N, C, H, W) tensor, got \(shape)")
        let s = stride ?? kernel
        let h = shape[2], w = shape[3], planes = shape[0] * shape[1]
        let oh = (h + 2 * padding - kernel) / s + 1, ow = (w + 2 * padding - kernel) / s + 1
        precondition(oh > 0 && ow > 0, "maxPool2d: input \(shape) too small for kernel \(kernel)")
        var out = [Float](repeating: 0, count: planes * oh * ow)
        var idx = [Int32](repeating: 0, count: planes * oh * ow)
        data.withUnsafeBufferPointer { src in
            for p in 0..<planes {
                for oy in 0..<oh {
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
        return (Tensor(shape: [shape[0], shape[1], oh, ow], data: out), idx)
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
