/// Options of `upfirdn2d`: upsample by zero insertion, pad, filter with a
/// 2-d FIR kernel (flipped, i.e. true convolution), downsample.
public struct UpFirDnOptions: Sendable {
    public var up: Int, down: Int
    /// Padding (x0, x1, y0, y1); negative values crop.
    public var padX0: Int, padX1: Int, padY0: Int, padY1: Int

    public init(up: Int = 1, down: Int = 1, pad: (Int, Int)) {
        self.up = up; self.down = down
        padX0 = pad.0; padX1 = pad.1; padY0 = pad.0; padY1 = pad.1
    }

    public init(up: Int = 1, down: Int = 1, padX0: Int, padX1: Int, padY0: Int, padY1: Int) {
        self.up = up; self.down = down
        self.padX0 = padX0; self.padX1 = padX1; self.padY0 = padY0; self.padY1 = padY1
    }
}

extension Tensor {
    /// StyleGAN's `upfirdn2d` on every channel of (N, C, H, W) with kernel (kh, kw).
    public func upfirdn2d(_ kernel: Tensor, _ o: UpFirDnOptions) -> Tensor {
        let (out, _) = upfirdn2dImpl(kernel, o, adjointOf: nil)
        return out
    }

    /// Walks every (output, tap, input) triple of upfirdn2d. Forward when
    /// `adjointOf` is nil; otherwise accumulates the adjoint of the output
    /// gradient `adjointOf` into an input-shaped tensor.
    func upfirdn2dImpl(_ kernel: Tensor, _ o: UpFirDnOptions, adjointOf gy: Tensor?) -> (Tensor, [Int]) {
        precondition(rank == 4 && kernel.rank == 2, "upfirdn2d: input \(shape) must be 4-d, kernel \(kernel.shape) 2-d")
        let h = shape[2], w = shape[3], planes = shape[0] * shape[1]
        let kh = kernel.shape[0], kw = kernel.shape[1]
        let ph = h * o.up + o.padY0 + o.padY1, pw = w * o.up + o.padX0 + o.padX1
        let oh = (ph - kh) / o.down + 1, ow = (pw - kw) / o.down + 1
        precondition(oh > 0 && ow > 0, "upfirdn2d: input \(shape) too small for kernel \(kernel.shape) and padding")
        let outShape = [shape[0], shape[1], oh, ow]
        // Flipped kernel: out(y, x) = sum k[kh-1-i][kw-1-j] * padded(y*down + i, x*down + j).
        var kf = [Float](repeating: 0, count: kh * kw)
        for i in 0..<kh { for j in 0..<kw { kf[i * kw + j] = kernel.data[(kh - 1 - i) * kw + (kw - 1 - j)] } }
        // For each padded row/col: the input index, or -1 where it is a zero.
        func source(_ pos: Int, pad0: Int, size: Int) -> Int {
            let u = pos - pad0
            if u < 0 || u % o.up != 0 { return -1 }
            let i = u / o.up
            return i < size ? i : -1
        }
        let rowSrc = (0..<ph).map { source($0, pad0: o.padY0, size: h) }
        let colSrc = (0..<pw).map { source($0, pad0: o.padX0, size: w) }
        if let gy {
            // Adjoint: scatter each tap into a padded gradient plane, then
            // gather the plane back onto the input positions.
            var gx = [Float](repeating: 0, count: count)
            var padded = [Float](repeating: 0, count: ph * pw)
            gy.data.withUnsafeBufferPointer { g in
                gx.withUnsafeMutableBufferPointer { d in
                    padded.withUnsafeMutableBufferPointer { pp in
                        let pad = pp.baseAddress!
                        for p in 0..<planes {
                            let gp = g.baseAddress! + p * oh * ow, dp = d.baseAddress! + p * h * w
                            pad.update(repeating: 0, count: ph * pw)
                            for oy in 0..<oh {
                                let grow = gp + oy * ow
                                for i in 0..<kh {
                                    let prow = pad + (oy * o.down + i) * pw
                                    for j in 0..<kw {
                                        let k = kf[i * kw + j]
                                        if k == 0 { continue }
                                        let dst = prow + j
                                        if o.down == 1 {
                                            for ox in 0..<ow { dst[ox] += k * grow[ox] }
                                        } else {
                                            for ox in 0..<ow { dst[ox * o.down] += k * grow[ox] }
                                        }
                                    }
                                }
                            }
                            for py in 0..<ph where rowSrc[py] >= 0 {
                                let src = pad + py * pw, dst = dp + rowSrc[py] * w
                                for px in 0..<pw where colSrc[px] >= 0 { dst[colSrc[px]] += src[px] }
                            }
                        }
                    }
                }
            }
            return (Tensor(shape: shape, data: gx), outShape)
        }
        // Forward: lay each plane out upsampled and padded once, then every
        // tap is a contiguous (down == 1) or strided multiply-add over a row.
        var out = [Float](repeating: 0, count: planes * oh * ow)
        var padded = [Float](repeating: 0, count: ph * pw)
        data.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { d in
                padded.withUnsafeMutableBufferPointer { pp in
                    let pad = pp.baseAddress!
                    for p in 0..<planes {
                        let xp = x.baseAddress! + p * h * w, dp = d.baseAddress! + p * oh * ow
                        pad.update(repeating: 0, count: ph * pw)
                        for py in 0..<ph where rowSrc[py] >= 0 {
                            let src = xp + rowSrc[py] * w, dst = pad + py * pw
                            for px in 0..<pw where colSrc[px] >= 0 { dst[px] = src[colSrc[px]] }
                        }
                        for oy in 0..<oh {
                            let orow = dp + oy * ow
                            for i in 0..<kh {
                                let prow = pad + (oy * o.down + i) * pw
                                for j in 0..<kw {
                                    let k = kf[i * kw + j]
                                    if k == 0 { continue }
                                    let src = prow + j
                                    if o.down == 1 {
                                        for ox in 0..<ow { orow[ox] += k * src[ox] }
                                    } else {
                                        for ox in 0..<ow { orow[ox] += k * src[ox * o.down] }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return (Tensor(shape: outShape, data: out), outShape)
    }
}

extension Variable {
    /// `upfirdn2d` with a constant kernel; gradient flows to the input.
    public func upfirdn2d(_ kernel: Tensor, _ o: UpFirDnOptions) -> Variable {
        let out = value.upfirdn2d(kernel, o)
        guard Variable.tracking(self) else { return Variable(out) }
        let xv = value
        return Variable(out, parents: [self]) { g in [xv.upfirdn2dImpl(kernel, o, adjointOf: g).0] }
    }
}
