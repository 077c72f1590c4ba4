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
        precondition(rank == 4 && kernel.rank == 2, "upfirdn2d: input \(shape) must be 4-d, kernel \(kernel.shape) 2-d")
        let plan = FIRPlan(input: shape, kernel: kernel, o)
        // Every plane is overwritten by `forward`: no zero-fill here.
        var out = [Float](uninitializedCount: shape[0] * shape[1] * plan.oh * plan.ow)
        data.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { d in
                plan.forEachPlanes(shape[0] * shape[1]) { planes, scratch in
                    for p in planes {
                        plan.forward(x.baseAddress! + p * plan.h * plan.w, into: d.baseAddress! + p * plan.oh * plan.ow, scratch)
                    }
                }
            }
        }
        return Tensor(shape: [shape[0], shape[1], plan.oh, plan.ow], data: out)
    }

    /// The adjoint of `upfirdn2d` (input shape `inputShape`) applied to an
    /// output gradient: the gradient with respect to the input.
    func upfirdn2dAdjoint(_ kernel: Tensor, _ o: UpFirDnOptions, inputShape: [Int]) -> Tensor {
        let plan = FIRPlan(input: inputShape, kernel: kernel, o)
        checkSameShape(shape, [inputShape[0], inputShape[1], plan.oh, plan.ow], "upfirdn2d backward: output gradient")
        // Every plane is overwritten by `adjoint`.
        var gx = [Float](uninitializedCount: inputShape.reduce(1, *))
        data.withUnsafeBufferPointer { g in
            gx.withUnsafeMutableBufferPointer { d in
                plan.forEachPlanes(inputShape[0] * inputShape[1]) { planes, scratch in
                    for p in planes {
                        plan.adjoint(g.baseAddress! + p * plan.oh * plan.ow, into: d.baseAddress! + p * plan.h * plan.w, scratch)
                    }
                }
            }
        }
        return Tensor(shape: inputShape, data: gx)
    }
}

extension Variable {
    /// `upfirdn2d` with a constant kernel; gradient flows to the input.
    public func upfirdn2d(_ kernel: Tensor, _ o: UpFirDnOptions) -> Variable {
        let out = value.upfirdn2d(kernel, o)
        guard Variable.tracking(self) else { return Variable(out) }
        let inputShape = shape
        return Variable(out, parents: [self]) { g in [g.upfirdn2dAdjoint(kernel, o, inputShape: inputShape)] }
    }
}

/// One upfirdn2d geometry and kernel, applied plane by plane.
///
/// Each plane is laid out upsampled and padded once; then every tap is a
/// multiply-add over a whole row (contiguous when `down` is 1). Rows of the
/// padded plane that upsampling left zero are skipped. A rank-1 kernel (all
/// of StyleGAN's: outer products of [1,3,3,1], [1,2,1], [1,1]) is applied as
/// a vertical then a horizontal 1-d pass: kh + kw taps per pixel, not kh*kw.
struct FIRPlan {
    let h, w, ph, pw, oh, ow, kh, kw, down: Int
    /// Flipped kernel: out(y, x) = sum kf[i][j] * padded(y*down + i, x*down + j).
    let kf: [Float]
    /// Flipped 1-d factors (kf[i][j] == column[i] * row[j]) when the kernel has rank 1.
    let column: [Float]?, row: [Float]?
    /// For each padded row / column: the input index, or -1 where it is a zero.
    let rowSrc: [Int], colSrc: [Int]

    /// Forces the general (kh*kw taps) path; tests compare the two.
    nonisolated(unsafe) static var allowSeparable = true

    init(input shape: [Int], kernel: Tensor, _ o: UpFirDnOptions) {
        precondition(shape.count == 4 && kernel.rank == 2, "upfirdn2d: input \(shape) must be 4-d, kernel \(kernel.shape) 2-d")
        precondition(o.up >= 1 && o.down >= 1, "upfirdn2d: up (\(o.up)) and down (\(o.down)) must be at least 1")
        h = shape[2]; w = shape[3]; kh = kernel.shape[0]; kw = kernel.shape[1]; down = o.down
        ph = h * o.up + o.padY0 + o.padY1; pw = w * o.up + o.padX0 + o.padX1
        oh = (ph - kh) / o.down + 1; ow = (pw - kw) / o.down + 1
        precondition(ph >= kh && pw >= kw && oh > 0 && ow > 0,
                     "upfirdn2d: input \(shape) too small for kernel \(kernel.shape) and padding")
        var kf = [Float](repeating: 0, count: kh * kw)
        for i in 0..<kh { for j in 0..<kw { kf[i * kw + j] = kernel.data[(kh - 1 - i) * kw + (kw - 1 - j)] } }
        self.kf = kf
        (column, row) = FIRPlan.rankOneFactors(kf, kh, kw)
        let (hh, ww, up) = (h, w, o.up)
        rowSrc = (0..<ph).map { FIRPlan.source($0, pad0: o.padY0, up: up, size: hh) }
        colSrc = (0..<pw).map { FIRPlan.source($0, pad0: o.padX0, up: up, size: ww) }
    }

    /// The input index of padded position `pos`, or -1 where it is a zero.
    static func source(_ pos: Int, pad0: Int, up: Int, size: Int) -> Int {
        let u = pos - pad0
        if u < 0 || u % up != 0 { return -1 }
        let i = u / up
        return i < size ? i : -1
    }

    /// (column, row) with k[i][j] == column[i] * row[j] (to float rounding), or nils.
    static func rankOneFactors(_ k: [Float], _ kh: Int, _ kw: Int) -> ([Float]?, [Float]?) {
        guard let (pi, m) = k.enumerated().max(by: { abs($0.element) < abs($1.element) }).map({ ($0.offset, $0.element) }),
              m != 0 else { return (nil, nil) }
        let i0 = pi / kw, j0 = pi % kw
        let column = (0..<kh).map { k[$0 * kw + j0] }
        let row = (0..<kw).map { k[i0 * kw + $0] / m }
        for i in 0..<kh { for j in 0..<kw where abs(column[i] * row[j] - k[i * kw + j]) > 1e-6 * abs(m) {
            return (nil, nil)
        } }
        return (column, row)
    }

    var separable: Bool { column != nil && FIRPlan.allowSeparable }

    /// Scratch floats one plane needs: the padded plane, plus the
    /// intermediate (oh x pw) of the separable passes.
    var scratchCount: Int { ph * pw + oh * pw }

    /// Runs `body` over disjoint ranges of planes on all cores, each part
    /// with its own scratch buffer.
    func forEachPlanes(_ planes: Int, _ body: (Range<Int>, UnsafeMutablePointer<Float>) -> Void) {
        let work = max(1, oh * ow * (separable ? kh + kw : kh * kw))
        Parallel.forEach(planes, minimum: max(1, 32_768 / work)) { range in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: scratchCount)
            defer { scratch.deallocate() }
            body(range, scratch)
        }
    }

    /// One plane forward: x (h, w) -> out (oh, ow), overwriting `out`.
    func forward(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, _ scratch: UnsafeMutablePointer<Float>) {
        let pad = scratch
        pad.update(repeating: 0, count: ph * pw)
        for py in 0..<ph where rowSrc[py] >= 0 {
            let src = x + rowSrc[py] * w, dst = pad + py * pw
            for px in 0..<pw where colSrc[px] >= 0 { dst[px] = src[colSrc[px]] }
        }
        out.update(repeating: 0, count: oh * ow)
        if separable, let column, let row {
            // Vertical pass into t (oh, pw), then horizontal pass into out.
            let t = scratch + ph * pw
            t.update(repeating: 0, count: oh * pw)
            for oy in 0..<oh {
                let trow = t + oy * pw
                for i in 0..<kh where column[i] != 0 && rowSrc[oy * down + i] >= 0 {
                    let k = column[i], prow = pad + (oy * down + i) * pw
                    for px in 0..<pw { trow[px] += k * prow[px] }
                }
                let orow = out + oy * ow
                for j in 0..<kw where row[j] != 0 {
                    FIRPlan.axpy(row[j], trow + j, stride: down, into: orow, count: ow)
                }
            }
            return
        }
        for oy in 0..<oh {
            let orow = out + oy * ow
            for i in 0..<kh where rowSrc[oy * down + i] >= 0 {
                let prow = pad + (oy * down + i) * pw
                for j in 0..<kw where kf[i * kw + j] != 0 {
                    FIRPlan.axpy(kf[i * kw + j], prow + j, stride: down, into: orow, count: ow)
                }
            }
        }
    }

    /// One plane's adjoint: output gradient g (oh, ow) -> input gradient gx
    /// (h, w), overwriting `gx`.
    func adjoint(_ g: UnsafePointer<Float>, into gx: UnsafeMutablePointer<Float>, _ scratch: UnsafeMutablePointer<Float>) {
        let pad = scratch
        pad.update(repeating: 0, count: ph * pw)
        if separable, let column, let row {
            // Transposed horizontal pass into t (oh, pw), then transposed vertical pass.
            let t = scratch + ph * pw
            t.update(repeating: 0, count: oh * pw)
            for oy in 0..<oh {
                let trow = t + oy * pw, grow = g + oy * ow
                for j in 0..<kw where row[j] != 0 {
                    FIRPlan.scatterAxpy(row[j], grow, into: trow + j, stride: down, count: ow)
                }
                for i in 0..<kh where column[i] != 0 && rowSrc[oy * down + i] >= 0 {
                    let k = column[i], prow = pad + (oy * down + i) * pw
                    for px in 0..<pw { prow[px] += k * trow[px] }
                }
            }
        } else {
            for oy in 0..<oh {
                let grow = g + oy * ow
                for i in 0..<kh where rowSrc[oy * down + i] >= 0 {
                    let prow = pad + (oy * down + i) * pw
                    for j in 0..<kw where kf[i * kw + j] != 0 {
                        FIRPlan.scatterAxpy(kf[i * kw + j], grow, into: prow + j, stride: down, count: ow)
                    }
                }
            }
        }
        gx.update(repeating: 0, count: h * w)
        for py in 0..<ph where rowSrc[py] >= 0 {
            let src = pad + py * pw, dst = gx + rowSrc[py] * w
            for px in 0..<pw where colSrc[px] >= 0 { dst[colSrc[px]] += src[px] }
        }
    }

    /// y[i] += a * x[i * stride] for i < count.
    @inline(__always)
    static func axpy(_ a: Float, _ x: UnsafePointer<Float>, stride: Int, into y: UnsafeMutablePointer<Float>, count: Int) {
        if stride == 1 {
            for i in 0..<count { y[i] += a * x[i] }
        } else {
            for i in 0..<count { y[i] += a * x[i * stride] }
        }
    }

    /// y[i * stride] += a * x[i] for i < count.
    @inline(__always)
    static func scatterAxpy(_ a: Float, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, stride: Int, count: Int) {
        if stride == 1 {
            for i in 0..<count { y[i] += a * x[i] }
        } else {
            for i in 0..<count { y[i * stride] += a * x[i] }
        }
    }
}
