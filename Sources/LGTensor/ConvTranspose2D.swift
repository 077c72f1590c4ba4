/// Options of a transposed 2-d convolution (PyTorch's `conv_transpose2d`).
public struct ConvTranspose2DOptions: Sendable {
    public var stride: Int
    public var padding: Int
    public var outputPadding: Int
    public var dilation: Int
    public var groups: Int

    public init(stride: Int = 1, padding: Int = 0, outputPadding: Int = 0, dilation: Int = 1, groups: Int = 1) {
        self.stride = stride; self.padding = padding; self.outputPadding = outputPadding
        self.dilation = dilation; self.groups = groups
    }
}

extension Tensor {
    /// The geometry of the convolution whose adjoint this transposed
    /// convolution is (image = this op's output).
    static func convTransposeCheck(_ x: [Int], _ w: [Int], _ o: ConvTranspose2DOptions) -> ConvGeometry {
        shapeChecked { () throws(ShapeError) in try Shapes.convTranspose2d(x, w, o) }
    }

    /// Transposed convolution: x (N, Cin, H, W), weight (Cin, Cout/groups,
    /// kh, kw), bias (Cout) -> (N, Cout, Ho, Wo) with
    /// Ho = (H-1)*stride - 2*padding + dilation*(kh-1) + outputPadding + 1.
    /// True when every output pixel takes exactly one tap of one input
    /// pixel: a 1x1 input, no padding, one group (DCGAN's first layer). Then
    /// the op is one GEMM, (N, Cin) x (Cin, Cout*kh*kw), straight into NCHW.
    static func convTransposeIsDense(_ x: [Int], _ o: ConvTranspose2DOptions) -> Bool {
        x[2] == 1 && x[3] == 1 && o.padding == 0 && o.outputPadding == 0 && o.dilation == 1 && o.groups == 1
    }

    /// `winograd`: whether 4x4 stride-2 layers may take Winograd F(2x2, 2x2)
    /// per output phase (default: as `Winograd.policy` allows outside training).
    ///
    /// `epilogue`, when given, maps the output (after the bias) per channel
    /// (inference BatchNorm + ReLU folded into the layer); the Winograd
    /// paths apply it as they write the output (F(4x4, 2x2) per row, F(2x2,
    /// 2x2) per channel plane), the others in one pass after.
    public func convTranspose2d(_ weight: Tensor, bias: Tensor? = nil, _ o: ConvTranspose2DOptions = .init(),
                                winograd: Bool = Winograd.allowed(training: false),
                                epilogue: ChannelEpilogue? = nil) -> Tensor {
        let geo = Tensor.convTransposeCheck(shape, weight.shape, o)
        if let bias { checkShapes(bias.count == weight.shape[1] * o.groups, "convTranspose2d bias", bias.shape, weight.shape, "one bias per output channel") }
        if let epilogue {
            precondition(epilogue.scale.count == weight.shape[1] * o.groups,
                         "convTranspose2d: epilogue for \(epilogue.scale.count) channels, weight \(weight.shape)")
            if bias == nil, winograd, Winograd.appliesTransposed(shape, weight.shape, o) {
                return Winograd.convTransposedPhases(self, weight, epilogue: epilogue)
            }
            var result = convTranspose2d(weight, bias: bias, o, winograd: winograd)
            result.applyChannelEpilogue(epilogue)
            return result
        }
        if winograd, Winograd.appliesTransposed(shape, weight.shape, o) {
            var result = Winograd.convTransposedPhases(self, weight)
            if let bias { result.addChannelBias(bias) }
            return result
        }
        if Tensor.convTransposeIsDense(shape, o) {
            let n = shape[0], cin = shape[1], k = weight.count / cin
            var result = reshaped([n, cin]).matmul(weight.reshaped([cin, k]))
                .reshaped([n, weight.shape[1], geo.height, geo.width])
            if let bias { result.addChannelBias(bias) }
            return result
        }
        let n = shape[0], cin = shape[1], g = o.groups, cinG = cin / g, coutG = weight.shape[1]
        let cout = coutG * g, pin = shape[2] * shape[3], pout = geo.height * geo.width, k = geo.rows
        let chunk = BatchMatrix.chunk(batch: n, rows: k, positions: pin)
        // Batches of at least two samples per core: the samples split across
        // the cores, each part with its own scratch, single-threaded GEMMs and
        // col2im, instead of every (small) GEMM split across OpenBLAS's
        // threads and every col2im across cores (DCGAN-64's last layer, 64 ->
        // 3 channels at 32 px: one 48 x 1024 x 64 GEMM per sample).
        let acrossCores = Parallel.splitsSamples(n)
        // The phase-wise fold (4x4 stride 2 padding 1, samples across cores)
        // writes every output pixel once, so `out` need not be zeroed; the
        // generic col2im accumulates into zeros. The scratch is overwritten
        // before it is read (beta-0 GEMM, gather).
        let overwrite = acrossCores && geo.isStride2Kernel4
        var out = overwrite ? [Float](uninitializedCount: n * cout * pout) : [Float](repeating: 0, count: n * cout * pout)
        func run(_ samples: Range<Int>, _ xp: UnsafePointer<Float>, _ wp: UnsafePointer<Float>, _ yp: UnsafeMutablePointer<Float>) {
            let c = UnsafeMutablePointer<Float>.allocate(capacity: k * chunk * pin)
            let xb = UnsafeMutablePointer<Float>.allocate(capacity: chunk > 1 ? cinG * chunk * pin : 1)
            defer { c.deallocate(); xb.deallocate() }
            var n0 = samples.lowerBound
            while n0 < samples.upperBound {
                let nb = min(chunk, samples.upperBound - n0)
                for gi in 0..<g {
                    let xg: UnsafePointer<Float>
                    if nb == 1 {
                        xg = xp + (n0 * cin + gi * cinG) * pin
                    } else {
                        BatchMatrix.gather(xp, cTotal: cin, p: pin, n0: n0, nb: nb, c0: gi * cinG, cg: cinG, into: xb)
                        xg = UnsafePointer(xb)
                    }
                    BLAS.gemm(transA: true, transB: false, m: k, n: nb * pin, k: cinG,
                              a: wp + gi * cinG * k, lda: k, b: xg, ldb: nb * pin, c: c, ldc: nb * pin)
                    for b in 0..<nb {
                        let image = yp + ((n0 + b) * cout + gi * coutG) * pout
                        if acrossCores { geo.fold(c + b * pin, ld: nb * pin, image, overwrite: overwrite) } else { geo.col2imParallel(c + b * pin, ld: nb * pin, image) }
                    }
                }
                n0 += nb
            }
        }
        data.withUnsafeBufferPointer { xp in
        weight.data.withUnsafeBufferPointer { wp in
        out.withUnsafeMutableBufferPointer { yp in
            Parallel.forEachSampleRange(n, xp.baseAddress!, wp.baseAddress!, yp.baseAddress!, run)
        }}}
        var result = Tensor(shape: [n, cout, geo.height, geo.width], data: out)
        if let bias { result.addChannelBias(bias) }
        return result
    }

    /// Gradients of `convTranspose2d` with respect to input and weight.
    public func convTranspose2dBackward(_ weight: Tensor, _ gy: Tensor, _ o: ConvTranspose2DOptions,
                                        needInput: Bool = true, needWeight: Bool = true) -> (input: Tensor?, weight: Tensor?) {
        let geo = Tensor.convTransposeCheck(shape, weight.shape, o)
        if Tensor.convTransposeIsDense(shape, o) {
            let n = shape[0], cin = shape[1], k = weight.count / cin
            checkSameShape(gy.shape, [n, weight.shape[1], geo.height, geo.width], "conv_transpose2d backward: output gradient")
            let g2 = gy.reshaped([n, k]), x2 = reshaped([n, cin])
            return (needInput ? g2.matmul(weight.reshaped([cin, k]), transB: true).reshaped(shape) : nil,
                    needWeight ? x2.matmul(g2, transA: true).reshaped(weight.shape) : nil)
        }
        let n = shape[0], cin = shape[1], g = o.groups, cinG = cin / g, coutG = weight.shape[1]
        let cout = coutG * g, pin = shape[2] * shape[3], pout = geo.height * geo.width, k = geo.rows
        checkSameShape(gy.shape, [n, cout, geo.height, geo.width], "conv_transpose2d backward: output gradient")
        var gx = [Float](repeating: 0, count: needInput ? count : 0)
        var gw = [Float](repeating: 0, count: needWeight ? weight.count : 0)
        let chunk = BatchMatrix.chunk(batch: n, rows: k, positions: pin)
        // Scratch, overwritten before it is read (im2col, gather, beta-0 GEMM).
        var cols = [Float](uninitializedCount: k * chunk * pin)
        var buf = [Float](uninitializedCount: chunk > 1 ? cinG * chunk * pin : 0)
        data.withUnsafeBufferPointer { xp in
        weight.data.withUnsafeBufferPointer { wp in
        gy.data.withUnsafeBufferPointer { gyp in
        gx.withUnsafeMutableBufferPointer { gxp in
        gw.withUnsafeMutableBufferPointer { gwp in
        cols.withUnsafeMutableBufferPointer { cp in
        buf.withUnsafeMutableBufferPointer { bp in
            let c = cp.baseAddress!
            var n0 = 0
            while n0 < n {
                let nb = min(chunk, n - n0)
                for gi in 0..<g {
                    for b in 0..<nb {
                        geo.im2colParallel(gyp.baseAddress! + ((n0 + b) * cout + gi * coutG) * pout, c + b * pin, ld: nb * pin)
                    }
                    let wg = wp.baseAddress! + gi * cinG * k
                    if needInput {
                        if nb == 1 {
                            BLAS.gemm(transA: false, transB: false, m: cinG, n: pin, k: k,
                                      a: wg, lda: k, b: c, ldb: pin,
                                      c: gxp.baseAddress! + (n0 * cin + gi * cinG) * pin, ldc: pin)
                        } else {
                            BLAS.gemm(transA: false, transB: false, m: cinG, n: nb * pin, k: k,
                                      a: wg, lda: k, b: c, ldb: nb * pin, c: bp.baseAddress!, ldc: nb * pin)
                            BatchMatrix.scatter(bp.baseAddress!, cTotal: cin, p: pin, n0: n0, nb: nb,
                                                c0: gi * cinG, cg: cinG, into: gxp.baseAddress!, accumulate: false)
                        }
                    }
                    if needWeight {
                        let xg: UnsafePointer<Float>
                        if nb == 1 {
                            xg = xp.baseAddress! + (n0 * cin + gi * cinG) * pin
                        } else {
                            BatchMatrix.gather(xp.baseAddress!, cTotal: cin, p: pin, n0: n0, nb: nb,
                                               c0: gi * cinG, cg: cinG, into: bp.baseAddress!)
                            xg = UnsafePointer(bp.baseAddress!)
                        }
                        BLAS.gemm(transA: false, transB: true, m: cinG, n: k, k: nb * pin,
                                  a: xg, lda: nb * pin, b: c, ldb: nb * pin, beta: 1,
                                  c: gwp.baseAddress! + gi * cinG * k, ldc: k)
                    }
                }
                n0 += nb
            }
        }}}}}}}
        return (needInput ? Tensor(shape: shape, data: gx) : nil,
                needWeight ? Tensor(shape: weight.shape, data: gw) : nil)
    }
}

extension Variable {
    /// Transposed 2-d convolution with an optional bias; see `Tensor.convTranspose2d`.
    public func convTranspose2d(_ weight: Variable, bias: Variable? = nil, _ o: ConvTranspose2DOptions = .init()) -> Variable {
        let parents = [self, weight] + (bias.map { [$0] } ?? [])
        let tracking = Variable.tracking(parents)
        let out = value.convTranspose2d(weight.value, bias: bias?.value, o, winograd: Winograd.allowed(training: tracking))
        guard tracking else { return Variable(out) }
        let xv = value, wv = weight.value
        return Variable(out, parents: parents) { g in
            let (gx, gw) = xv.convTranspose2dBackward(wv, g, o, needInput: self.requiresGrad, needWeight: weight.requiresGrad)
            var r: [Tensor?] = [gx, gw]
            if let bias { r.append(bias.requiresGrad ? g.channelSums() : nil) }
            return r
        }
    }
}
