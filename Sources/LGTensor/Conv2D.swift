/// Options of a 2-d convolution (PyTorch's `conv2d` arguments).
public struct Conv2DOptions: Sendable, Equatable {
    public var stride: (h: Int, w: Int)
    public var padding: (h: Int, w: Int)
    public var dilation: (h: Int, w: Int)
    public var groups: Int

    public init(stride: Int = 1, padding: Int = 0, dilation: Int = 1, groups: Int = 1) {
        self.stride = (stride, stride); self.padding = (padding, padding)
        self.dilation = (dilation, dilation); self.groups = groups
    }

    public init(stride: (Int, Int), padding: (Int, Int), dilation: (Int, Int) = (1, 1), groups: Int = 1) {
        self.stride = stride; self.padding = padding; self.dilation = dilation; self.groups = groups
    }

    public static func == (a: Conv2DOptions, b: Conv2DOptions) -> Bool {
        a.stride == b.stride && a.padding == b.padding && a.dilation == b.dilation && a.groups == b.groups
    }
}

/// Moving channel blocks between NCHW tensors and (channels, batch*positions)
/// matrices, so one GEMM covers several samples.
@usableFromInline enum BatchMatrix {
    /// Copies channels [c0, c0+cg) of samples [n0, n0+nb) (each `cTotal` x `p`)
    /// into `dst` laid out as (cg, nb*p).
    @inlinable static func gather(_ src: UnsafePointer<Float>, cTotal: Int, p: Int, n0: Int, nb: Int,
                                  c0: Int, cg: Int, into dst: UnsafeMutablePointer<Float>) {
        for c in 0..<cg {
            for b in 0..<nb {
                (dst + c * nb * p + b * p).update(from: src + ((n0 + b) * cTotal + c0 + c) * p, count: p)
            }
        }
    }

    /// The adjoint of `gather`: writes (or adds) `src` (cg, nb*p) into the
    /// channel block of an NCHW tensor.
    @inlinable static func scatter(_ src: UnsafePointer<Float>, cTotal: Int, p: Int, n0: Int, nb: Int,
                                   c0: Int, cg: Int, into dst: UnsafeMutablePointer<Float>, accumulate: Bool) {
        for c in 0..<cg {
            for b in 0..<nb {
                let d = dst + ((n0 + b) * cTotal + c0 + c) * p
                let s = src + c * nb * p + b * p
                if accumulate { for i in 0..<p { d[i] += s[i] } } else { d.update(from: s, count: p) }
            }
        }
    }

    /// How many samples to put in one GEMM: enough columns to keep the GEMM
    /// efficient, few enough that the unfolded matrix stays moderate.
    @inlinable static func chunk(batch: Int, rows: Int, positions: Int) -> Int {
        let wantColumns = 1024
        let maxFloats = 1 << 23
        var b = max(1, (wantColumns + positions - 1) / positions)
        b = min(b, max(1, maxFloats / max(1, rows * positions)))
        return min(batch, b)
    }
}

extension Tensor {
    /// A convolution's bias and epilogue: one value per output channel of
    /// `weight` (Cout first), or a precondition failure naming the shapes.
    static func checkConvChannelMaps(_ weight: Tensor, bias: Tensor?, epilogue: ChannelEpilogue?) {
        if let bias { checkShapes(bias.count == weight.shape[0], "conv2d bias", bias.shape, weight.shape, "one bias per output channel") }
        if let epilogue {
            precondition(epilogue.scale.count == weight.shape[0],
                         "conv2d: epilogue for \(epilogue.scale.count) channels, weight \(weight.shape)")
        }
    }

    /// 2-d convolution (cross-correlation, as PyTorch): x (N, Cin, H, W),
    /// weight (Cout, Cin/groups, kh, kw), bias (Cout) -> (N, Cout, Ho, Wo).
    /// `winograd`: whether 3x3 stride-1 layers may take Winograd (F(2x2, 3x3),
    /// or F(4x4, 3x3) on large maps: `Winograd.useF4`)
    /// (default: as `Winograd.policy` allows outside training).
    ///
    /// `epilogue`, when given, maps the output (after the bias) per channel;
    /// the Winograd path applies it as it writes each output row, the others
    /// in one pass after.
    public func conv2d(_ weight: Tensor, bias: Tensor? = nil, _ o: Conv2DOptions = .init(),
                       winograd: Bool = Winograd.allowed(training: false), epilogue: ChannelEpilogue? = nil) -> Tensor {
        let geo = Tensor.convCheck(self.shape, weight.shape, o)
        Tensor.checkConvChannelMaps(weight, bias: bias, epilogue: epilogue)
        if winograd, Winograd.applies(shape, weight.shape, o) {
            // Without a bias the epilogue goes into the output transform.
            var result = Winograd.convAuto(self, weight, pad: o.padding.h, epilogue: bias == nil ? epilogue : nil)
            if let bias {
                result.addChannelBias(bias)
                if let epilogue { result.applyChannelEpilogue(epilogue) }
            }
            return result
        }
        let n = shape[0], cin = shape[1], cout = weight.shape[0], g = o.groups
        let cinG = cin / g, coutG = cout / g
        let p = geo.positions, pin = shape[2] * shape[3], k = geo.rows
        // Every buffer here is overwritten before it is read: the GEMMs run
        // with beta 0, im2col writes its padding zeros, scatter covers the output.
        var out = [Float](uninitializedCount: n * cout * p)
        let chunk = BatchMatrix.chunk(batch: n, rows: k, positions: p)
        let direct = geo.isIdentity && chunk == 1
        let tile = geo.tileRows()
        // Batches of at least two samples per core: the samples split across
        // the cores, each part with its own scratch, single-threaded GEMMs and
        // unfolding, instead of every GEMM split across OpenBLAS's threads and
        // every unfolding across cores (the DCGAN-64 discriminator's first
        // layer: one 64 x 1024 x 48 GEMM per sample).
        let acrossCores = Parallel.splitsSamples(n)
        func run(_ samples: Range<Int>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
            let cp = UnsafeMutablePointer<Float>.allocate(capacity: max(1, direct ? 0 : (chunk == 1 ? k * tile * geo.outW : k * chunk * p)))
            let tp = UnsafeMutablePointer<Float>.allocate(capacity: max(1, chunk > 1 ? coutG * chunk * p : 0))
            defer { cp.deallocate(); tp.deallocate() }
            func unfold(_ image: UnsafePointer<Float>, _ cols: UnsafeMutablePointer<Float>, ld: Int, rows: Range<Int>? = nil) {
                if acrossCores { geo.im2col(image, cols, ld: ld, rows: rows) } else { geo.im2colParallel(image, cols, ld: ld, rows: rows) }
            }
            var n0 = samples.lowerBound
            while n0 < samples.upperBound {
                let nb = min(chunk, samples.upperBound - n0)
                for gi in 0..<g {
                    // On the own sgemm: no unfolded matrix, its rows are
                    // formed as the GEMM packs them (falls through to the
                    // unfolding below should the kernel not run).
                    // One sample's product goes straight into the output, a
                    // chunk's through `tp` and the scatter.
                    if !direct {
                        let image = geo.unfoldedOperand(x + (n0 * cin + gi * cinG) * pin, sampleStride: cin * pin)
                        if GEMMKernel.runIm2col(m: coutG, n: nb * p, k: k, a: w + gi * coutG * k, lda: k, image: image,
                                                c: nb == 1 ? y + (n0 * cout + gi * coutG) * p : tp, ldc: nb * p) {
                            if nb > 1 {
                                BatchMatrix.scatter(tp, cTotal: cout, p: p, n0: n0, nb: nb,
                                                    c0: gi * coutG, cg: coutG, into: y, accumulate: false)
                            }
                            continue
                        }
                    }
                    if nb == 1 && !direct {
                        // One sample: tile over output rows, GEMM straight into the output.
                        let xs = x + (n0 * cin + gi * cinG) * pin
                        let ys = y + (n0 * cout + gi * coutG) * p
                        var oy = 0
                        while oy < geo.outH {
                            let rows = oy..<min(geo.outH, oy + tile)
                            let cn = rows.count * geo.outW
                            unfold(xs, cp, ld: cn, rows: rows)
                            BLAS.gemm(transA: false, transB: false, m: coutG, n: cn, k: k,
                                      a: w + gi * coutG * k, lda: k, b: cp, ldb: cn,
                                      c: ys + oy * geo.outW, ldc: p)
                            oy = rows.upperBound
                        }
                        continue
                    }
                    let colsPtr: UnsafePointer<Float>
                    if direct {
                        colsPtr = x + (n0 * cin + gi * cinG) * pin
                    } else {
                        for b in 0..<nb {
                            unfold(x + ((n0 + b) * cin + gi * cinG) * pin, cp + b * p, ld: nb * p)
                        }
                        colsPtr = UnsafePointer(cp)
                    }
                    let wg = w + gi * coutG * k
                    if nb == 1 {
                        BLAS.gemm(transA: false, transB: false, m: coutG, n: p, k: k,
                                  a: wg, lda: k, b: colsPtr, ldb: p,
                                  c: y + (n0 * cout + gi * coutG) * p, ldc: p)
                    } else {
                        BLAS.gemm(transA: false, transB: false, m: coutG, n: nb * p, k: k,
                                  a: wg, lda: k, b: colsPtr, ldb: nb * p,
                                  c: tp, ldc: nb * p)
                        BatchMatrix.scatter(tp, cTotal: cout, p: p, n0: n0, nb: nb,
                                            c0: gi * coutG, cg: coutG, into: y, accumulate: false)
                    }
                }
                n0 += nb
            }
        }
        data.withUnsafeBufferPointer { xp in
        weight.data.withUnsafeBufferPointer { wp in
        out.withUnsafeMutableBufferPointer { op in
            Parallel.forEachSampleRange(n, xp.baseAddress!, wp.baseAddress!, op.baseAddress!, run)
        }}}
        // `consume`: the bias is added in place, not to a copy of `out`.
        var result = Tensor(shape: [n, cout, geo.outH, geo.outW], data: consume out)
        if let bias { result.addChannelBias(bias) }
        if let epilogue { result.applyChannelEpilogue(epilogue) }
        return result
    }

    /// Gradients of `conv2d` with respect to its input and weight, given the
    /// output gradient `gy`.
    public func conv2dBackward(_ weight: Tensor, _ gy: Tensor, _ o: Conv2DOptions,
                               needInput: Bool = true, needWeight: Bool = true) -> (input: Tensor?, weight: Tensor?) {
        let geo = Tensor.convCheck(self.shape, weight.shape, o)
        let n = shape[0], cin = shape[1], cout = weight.shape[0], g = o.groups
        let cinG = cin / g, coutG = cout / g
        let p = geo.positions, pin = shape[2] * shape[3], k = geo.rows
        checkSameShape(gy.shape, [n, cout, geo.outH, geo.outW], "conv2d backward: output gradient")
        // A 3x3 stride-1 layer where Winograd pays: the input gradient is a
        // convolution too (flipped, transposed weight, padding 2 - p) and the
        // weight gradient has its own F(2x2, 3x3) form.
        if Winograd.allowed(training: true), Winograd.applies(shape, weight.shape, o) {
            let gx = needInput ? Winograd.convAuto(gy, Winograd.adjointWeight(weight), pad: 2 - o.padding.h) : nil
            let gw = needWeight ? Winograd.weightGradientAuto(self, gy, pad: o.padding.h) : nil
            return (gx, gw)
        }
        let chunk = BatchMatrix.chunk(batch: n, rows: k, positions: p)
        // A 1x1 stride-1 layer one sample at a time writes every input
        // gradient with a beta-0 GEMM; the other paths accumulate into zeros.
        let gxOverwritten = chunk == 1 && geo.isIdentity
        var gx = gxOverwritten ? [Float](uninitializedCount: needInput ? count : 0)
                               : [Float](repeating: 0, count: needInput ? count : 0)
        var gw = [Float](repeating: 0, count: needWeight ? weight.count : 0)
        let tile = geo.tileRows()
        // Scratch, overwritten before it is read (im2col, gather, beta-0 GEMMs);
        // gx and gw above accumulate and start at zero.
        var cols = [Float](uninitializedCount: chunk == 1 ? (geo.isIdentity ? 0 : k * tile * geo.outW) : k * chunk * p)
        var gyBuf = [Float](uninitializedCount: chunk > 1 ? coutG * chunk * p : 0)
        data.withUnsafeBufferPointer { xp in
        weight.data.withUnsafeBufferPointer { wp in
        gy.data.withUnsafeBufferPointer { gyp in
        gx.withUnsafeMutableBufferPointer { gxp in
        gw.withUnsafeMutableBufferPointer { gwp in
        cols.withUnsafeMutableBufferPointer { cp in
        gyBuf.withUnsafeMutableBufferPointer { gbp in
            let x = xp.baseAddress!, w = wp.baseAddress!, c = cp.baseAddress!
            var n0 = 0
            while n0 < n {
                let nb = min(chunk, n - n0)
                for gi in 0..<g {
                    if nb == 1 && geo.isIdentity {
                        // 1x1, stride 1: the input is its own unfolded matrix.
                        let xs = x + (n0 * cin + gi * cinG) * pin
                        let gys = gyp.baseAddress! + (n0 * cout + gi * coutG) * p
                        if needWeight {
                            BLAS.gemm(transA: false, transB: true, m: coutG, n: k, k: p,
                                      a: gys, lda: p, b: xs, ldb: p, beta: 1,
                                      c: gwp.baseAddress! + gi * coutG * k, ldc: k)
                        }
                        if needInput {
                            BLAS.gemm(transA: true, transB: false, m: k, n: p, k: coutG,
                                      a: w + gi * coutG * k, lda: k, b: gys, ldb: p,
                                      c: gxp.baseAddress! + (n0 * cin + gi * cinG) * pin, ldc: p)
                        }
                        continue
                    }
                    if nb == 1 {
                        // One sample: tile over output rows.
                        let xs = x + (n0 * cin + gi * cinG) * pin
                        let gys = gyp.baseAddress! + (n0 * cout + gi * coutG) * p
                        var oy = 0
                        while oy < geo.outH {
                            let rows = oy..<min(geo.outH, oy + tile)
                            let cn = rows.count * geo.outW
                            if needWeight {
                                geo.im2colParallel(xs, c, ld: cn, rows: rows)
                                BLAS.gemm(transA: false, transB: true, m: coutG, n: k, k: cn,
                                          a: gys + oy * geo.outW, lda: p, b: c, ldb: cn, beta: 1,
                                          c: gwp.baseAddress! + gi * coutG * k, ldc: k)
                            }
                            if needInput {
                                BLAS.gemm(transA: true, transB: false, m: k, n: cn, k: coutG,
                                          a: w + gi * coutG * k, lda: k, b: gys + oy * geo.outW, ldb: p,
                                          c: c, ldc: cn)
                                geo.col2imParallel(c, ld: cn, gxp.baseAddress! + (n0 * cin + gi * cinG) * pin, rows: rows)
                            }
                            oy = rows.upperBound
                        }
                        continue
                    }
                    let gyg: UnsafePointer<Float>
                    if nb == 1 {
                        gyg = gyp.baseAddress! + (n0 * cout + gi * coutG) * p
                    } else {
                        BatchMatrix.gather(gyp.baseAddress!, cTotal: cout, p: p, n0: n0, nb: nb,
                                           c0: gi * coutG, cg: coutG, into: gbp.baseAddress!)
                        gyg = UnsafePointer(gbp.baseAddress!)
                    }
                    if needWeight {
                        for b in 0..<nb {
                            geo.im2colParallel(x + ((n0 + b) * cin + gi * cinG) * pin, c + b * p, ld: nb * p)
                        }
                        BLAS.gemm(transA: false, transB: true, m: coutG, n: k, k: nb * p,
                                  a: gyg, lda: nb * p, b: c, ldb: nb * p, beta: 1,
                                  c: gwp.baseAddress! + gi * coutG * k, ldc: k)
                    }
                    if needInput {
                        BLAS.gemm(transA: true, transB: false, m: k, n: nb * p, k: coutG,
                                  a: w + gi * coutG * k, lda: k, b: gyg, ldb: nb * p,
                                  c: c, ldc: nb * p)
                        for b in 0..<nb {
                            geo.col2imParallel(c + b * p, ld: nb * p, gxp.baseAddress! + ((n0 + b) * cin + gi * cinG) * pin)
                        }
                    }
                }
                n0 += nb
            }
        }}}}}}}
        return (needInput ? Tensor(shape: shape, data: gx) : nil,
                needWeight ? Tensor(shape: weight.shape, data: gw) : nil)
    }

    static func convCheck(_ x: [Int], _ w: [Int], _ o: Conv2DOptions) -> ConvGeometry {
        shapeChecked { () throws(ShapeError) in try Shapes.conv2d(x, w, o) }
    }

    /// Adds a per-channel bias (C) to an (N, C, ...) tensor in place.
    public mutating func addChannelBias(_ bias: Tensor) {
        checkShapes(rank >= 2 && bias.count == shape[1], "addChannelBias", shape, bias.shape, "needs (N, C, ...) and C biases")
        let n = shape[0], c = shape[1], p = count / max(1, n * c)
        guard count > 0 else { return }
        bias.data.withUnsafeBufferPointer { b in
            data.withUnsafeMutableBufferPointer { d in
                // Planes across cores (a 1024-px layer's bias is a 20 MB pass).
                let bp = UncheckedSendable(b.baseAddress!), dp = UncheckedSendable(d.baseAddress!)
                Parallel.forEach(n * c, minimum: max(1, Tensor.elementwiseGrain / max(1, p))) { range in
                    for plane in range {
                        let row = dp.value + plane * p, v = bp.value[plane % c]
                        for q in 0..<p { row[q] += v }
                    }
                }
            }
        }
    }

    /// Sums an (N, C, ...) tensor to (C): the gradient of a channel bias.
    public func channelSums() -> Tensor {
        checkShapes(rank >= 2, "channelSums", shape, [], "needs an (N, C, ...) tensor")
        let n = shape[0], c = shape[1], p = count / max(1, n * c)
        var out = [Float](repeating: 0, count: c)
        data.withUnsafeBufferPointer { dp in
        out.withUnsafeMutableBufferPointer { op in
            let d = UncheckedSendable(dp.baseAddress!), o = UncheckedSendable(op.baseAddress!)
            // Channels across cores; each plane summed in eight lanes.
            Parallel.forEach(c, minimum: max(1, Tensor.elementwiseGrain / max(1, n * p))) { range in
                for j in range {
                    var total: Float = 0
                    for i in 0..<n {
                        let base = d.value + (i * c + j) * p
                        var lanes = SIMD8<Float>(repeating: 0)
                        var q = 0
                        while q + 8 <= p {
                            lanes += UnsafeRawPointer(base + q).loadUnaligned(as: SIMD8<Float>.self)
                            q += 8
                        }
                        var s = lanes.sum()
                        while q < p { s += base[q]; q += 1 }
                        total += s
                    }
                    o.value[j] = total
                }
            }
        }}
        return Tensor(shape: [c], data: out)
    }
}

extension Variable {
    /// 2-d convolution with an optional bias; see `Tensor.conv2d`.
    public func conv2d(_ weight: Variable, bias: Variable? = nil, _ o: Conv2DOptions = .init()) -> Variable {
        let parents = [self, weight] + (bias.map { [$0] } ?? [])
        let tracking = Variable.tracking(parents)
        let out = value.conv2d(weight.value, bias: bias?.value, o, winograd: Winograd.allowed(training: tracking))
        guard tracking else { return Variable(out) }
        let xv = value, wv = weight.value
        return Variable(out, parents: parents) { g in
            let (gx, gw) = xv.conv2dBackward(wv, g, o, needInput: self.requiresGrad, needWeight: weight.requiresGrad)
            var r: [Tensor?] = [gx, gw]
            if let bias { r.append(bias.requiresGrad ? g.channelSums() : nil) }
            return r
        }
    }
}
