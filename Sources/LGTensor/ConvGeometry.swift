import CKernels
/// The geometry of a 2-d convolution: an image of `channels` x `height` x
/// `width` seen through a `kernelH` x `kernelW` window with stride, zero
/// padding and dilation, giving `outH` x `outW` positions.
///
/// `im2col` unfolds the image into a (channels*kernelH*kernelW, outH*outW)
/// matrix; `col2im` is its adjoint (accumulates such a matrix back).
public struct ConvGeometry: Sendable, Equatable {
    /// Floats per unfolded tile (a tuning knob; tests shrink it to exercise tiling).
    nonisolated(unsafe) public static var tileBudget = 1 << 21

    public var channels, height, width: Int
    public var kernelH, kernelW: Int
    public var strideH, strideW: Int
    public var padH, padW: Int
    public var dilationH, dilationW: Int

    public init(channels: Int, height: Int, width: Int, kernelH: Int, kernelW: Int,
                strideH: Int = 1, strideW: Int = 1, padH: Int = 0, padW: Int = 0,
                dilationH: Int = 1, dilationW: Int = 1) {
        self.channels = channels; self.height = height; self.width = width
        self.kernelH = kernelH; self.kernelW = kernelW
        self.strideH = strideH; self.strideW = strideW
        self.padH = padH; self.padW = padW
        self.dilationH = dilationH; self.dilationW = dilationW
    }

    public var outH: Int { (height + 2 * padH - dilationH * (kernelH - 1) - 1) / strideH + 1 }
    public var outW: Int { (width + 2 * padW - dilationW * (kernelW - 1) - 1) / strideW + 1 }
    public var rows: Int { channels * kernelH * kernelW }
    public var positions: Int { outH * outW }

    /// Output rows per tile so that one tile of the unfolded matrix stays
    /// within about `budget` floats (cache-friendly, bounded memory).
    public func tileRows(budget: Int = ConvGeometry.tileBudget) -> Int {
        max(1, min(outH, budget / max(1, rows * outW)))
    }

    /// The unfolded matrix of `image` (this geometry's first channel;
    /// samples `sampleStride` floats apart) as the own sgemm's B operand
    /// (`GEMMKernel.runIm2col`), rows in `im2col`'s order.
    func unfoldedOperand(_ image: UnsafePointer<Float>, sampleStride: Int) -> lg_im2col {
        lg_im2col(image: image, channels: channels, height: height, width: width,
                  kernel_h: kernelH, kernel_w: kernelW, stride_h: strideH, stride_w: strideW,
                  pad_h: padH, pad_w: padW, dilation_h: dilationH, dilation_w: dilationW,
                  out_h: outH, out_w: outW, sample_stride: sampleStride)
    }

    /// True when the unfolded matrix is the image itself (1x1, stride 1, no padding).
    public var isIdentity: Bool {
        kernelH == 1 && kernelW == 1 && strideH == 1 && strideW == 1 && padH == 0 && padW == 0
    }

    /// The output columns whose input column `ox * strideW + xoff` lies
    /// inside the image (`xoff` = the kernel column's offset `kj *
    /// dilationW - padW`); the columns outside it read zero padding.
    @inlinable
    public func validColumns(xoff: Int) -> Range<Int> {
        let ow = outW
        let lo = xoff >= 0 ? 0 : min(ow, (-xoff + strideW - 1) / strideW)
        let hi = max(lo, min(ow, (width - 1 - xoff) >= 0 ? (width - 1 - xoff) / strideW + 1 : 0))
        return lo..<hi
    }

    /// Zeroes the padding columns of one unfolded row `d` of `count` columns
    /// around `valid` (one store when a single column is padding, the
    /// common case of a 3x3 kernel with padding 1).
    @inlinable
    static func zeroPadding(_ d: UnsafeMutablePointer<Float>, count: Int, valid: Range<Int>) {
        let lo = valid.lowerBound, hi = valid.upperBound
        if lo == 1 { d[0] = 0 } else if lo > 0 { d.update(repeating: 0, count: lo) }
        if hi == count - 1 { d[hi] = 0 } else if hi < count { (d + hi).update(repeating: 0, count: count - hi) }
    }

    /// Unfolds `image` (channels x height x width) into `cols`, whose rows
    /// have leading dimension `ld`. Only output rows `rows` (all by default)
    /// are unfolded; column `(oy - rows.lowerBound) * outW + ox` holds position (oy, ox).
    @inlinable
    public func im2col(_ image: UnsafePointer<Float>, _ cols: UnsafeMutablePointer<Float>, ld: Int,
                       rows outRows: Range<Int>? = nil) {
        let ow = outW
        let yr = outRows ?? 0..<outH
        if strideW == 2 && dilationW == 1 && width >= 16 && ConvGeometry.deinterleaveStride2 {
            im2colStride2(image, cols, ld: ld, rows: yr)
            return
        }
        var row = 0
        for c in 0..<channels {
            let plane = image + c * height * width
            for ki in 0..<kernelH {
                for kj in 0..<kernelW {
                    let dst = cols + row * ld
                    row += 1
                    let xoff = kj * dilationW - padW
                    let valid = validColumns(xoff: xoff)
                    let oxLo = valid.lowerBound, oxHi = valid.upperBound
                    for oy in yr {
                        let iy = oy * strideH - padH + ki * dilationH
                        let d = dst + (oy - yr.lowerBound) * ow
                        if iy < 0 || iy >= height {
                            d.update(repeating: 0, count: ow)
                            continue
                        }
                        let src = plane + iy * width
                        ConvGeometry.zeroPadding(d, count: ow, valid: valid)
                        if strideW == 1 {
                            (d + oxLo).update(from: src + oxLo + xoff, count: oxHi - oxLo)
                        } else {
                            var ix = oxLo * strideW + xoff
                            for ox in oxLo..<oxHi { d[ox] = src[ix]; ix += strideW }
                        }
                    }
                }
            }
        }
    }

    /// Whether `im2col` takes `im2colStride2` for stride-2 columns (a switch
    /// for benchmarks comparing the two).
    nonisolated(unsafe) public static var deinterleaveStride2 = true

    /// `im2col` for a horizontal stride of 2 without dilation (the DCGAN
    /// discriminator's 4x4 stride-2 layers): each input row that an output
    /// row reads is split once into its even and odd pixels (eight lanes at
    /// a time), after which every kernel column is a contiguous copy from
    /// one of the halves, in place of `kernelW` strided gathers. Taken for
    /// rows of at least 16 pixels: 1.05-1.13x on the DCGAN discriminator's
    /// layers at 16 and 32 px (whole convolution, `lg-bench --profile
    /// dconv:C,C2,R`), nothing at 8 px, where the rows are too short.
    @inlinable
    public func im2colStride2(_ image: UnsafePointer<Float>, _ cols: UnsafeMutablePointer<Float>, ld: Int,
                              rows yr: Range<Int>) {
        let ow = outW, w = width, half = (w + 1) / 2
        let even = UnsafeMutablePointer<Float>.allocate(capacity: 2 * half)
        defer { even.deallocate() }
        let odd = even + half
        for c in 0..<channels {
            let plane = image + c * height * width
            for ki in 0..<kernelH {
                let rowBase = cols + (c * kernelH + ki) * kernelW * ld
                for oy in yr {
                    let iy = oy * strideH - padH + ki * dilationH
                    let col = (oy - yr.lowerBound) * ow
                    if iy < 0 || iy >= height {
                        for kj in 0..<kernelW { (rowBase + kj * ld + col).update(repeating: 0, count: ow) }
                        continue
                    }
                    let src = plane + iy * w
                    var t = 0
                    while t + 16 <= w {
                        let v = UnsafeRawPointer(src + t).loadUnaligned(as: SIMD16<Float>.self)
                        UnsafeMutableRawPointer(even + t / 2).storeBytes(of: v.evenHalf, as: SIMD8<Float>.self)
                        UnsafeMutableRawPointer(odd + t / 2).storeBytes(of: v.oddHalf, as: SIMD8<Float>.self)
                        t += 16
                    }
                    while t < w {
                        if t & 1 == 0 { even[t / 2] = src[t] } else { odd[t / 2] = src[t] }
                        t += 1
                    }
                    for kj in 0..<kernelW {
                        let d = rowBase + kj * ld + col
                        let xoff = kj - padW
                        // Input column 2 ox + xoff is pixel ox + shift of the even or odd half.
                        let parity = xoff & 1, shift = (xoff - parity) / 2
                        let from = parity == 0 ? UnsafePointer(even) : UnsafePointer(odd)
                        let valid = validColumns(xoff: xoff)
                        ConvGeometry.zeroPadding(d, count: ow, valid: valid)
                        (d + valid.lowerBound).update(from: from + valid.lowerBound + shift, count: valid.count)
                    }
                }
            }
        }
    }

    /// Accumulates `cols` (rows with leading dimension `ld`) into `image`;
    /// `rows` as in `im2col`.
    @inlinable
    public func col2im(_ cols: UnsafePointer<Float>, ld: Int, _ image: UnsafeMutablePointer<Float>,
                       rows outRows: Range<Int>? = nil) {
        let ow = outW
        let yr = outRows ?? 0..<outH
        var row = 0
        for c in 0..<channels {
            let plane = image + c * height * width
            for ki in 0..<kernelH {
                for kj in 0..<kernelW {
                    let src = cols + row * ld
                    row += 1
                    let xoff = kj * dilationW - padW
                    let valid = validColumns(xoff: xoff)
                    for oy in yr {
                        let iy = oy * strideH - padH + ki * dilationH
                        if iy < 0 || iy >= height { continue }
                        let dst = plane + iy * width
                        let s = src + (oy - yr.lowerBound) * ow
                        var ix = valid.lowerBound * strideW + xoff
                        for ox in valid { dst[ix] += s[ox]; ix += strideW }
                    }
                }
            }
        }
    }
}

extension ConvGeometry {
    /// True for the geometry of a 4x4, stride-2, padding-1 transposed
    /// convolution's fold (DCGAN's layers): an image exactly twice the
    /// positions' size each way. `col2imStride2K4` folds it.
    public var isStride2Kernel4: Bool {
        kernelH == 4 && kernelW == 4 && strideH == 2 && strideW == 2 && padH == 1 && padW == 1
            && dilationH == 1 && dilationW == 1 && height == 2 * outH && width == 2 * outW
    }

    /// `col2im` for `isStride2Kernel4`, by output phase: image pixel
    /// (2 t + py, 2 u + px) takes four taps, kernel rows ki = 1 (position
    /// row t) and 3 (t - 1) for py = 0, 2 (t) and 0 (t + 1) for py = 1;
    /// kernel columns kj = 1 (u) and 3 (u - 1) for px = 0, 2 (u) and 0
    /// (u + 1) for px = 1. Each image row is made in one pass over its two
    /// (one at the border) position rows of `cols`: both column phases
    /// summed from shifted runs and written interleaved, instead of 16
    /// strided read-modify-writes per pixel (DCGAN-64's 64 -> 3 layer: the
    /// fold was a quarter of the layer). Every image pixel is reached
    /// exactly once, so with `overwrite` the image is written, not added to:
    /// it need not be zeroed (nor read) first.
    public func col2imStride2K4(_ cols: UnsafePointer<Float>, ld: Int, _ image: UnsafeMutablePointer<Float>,
                                overwrite: Bool = false) {
        precondition(isStride2Kernel4, "col2imStride2K4 needs a 4x4 stride-2 padding-1 fold, got \(self)")
        let h = outH, w = outW, iw = width
        for c in 0..<channels {
            let plane = image + c * height * width
            let base = cols + c * 16 * ld
            for t in 0..<h {
                for py in 0..<2 {
                    // The row taps: kernel row and position row of each.
                    let (kiA, rowA, kiB, rowB) = py == 0 ? (1, t, 3, t - 1) : (2, t, 0, t + 1)
                    let a = base + kiA * 4 * ld + rowA * w
                    let dst = plane + (2 * t + py) * iw
                    if rowB >= 0 && rowB < h {
                        Self.foldRow(a, base + kiB * 4 * ld + rowB * w, ld: ld, w: w, dst, overwrite: overwrite, two: true)
                    } else {
                        Self.foldRow(a, a, ld: ld, w: w, dst, overwrite: overwrite, two: false)
                    }
                }
            }
        }
    }

    /// One image row of `col2imStride2K4`: `a` (and `b` when `two`) point
    /// at kernel column 0 of a row tap's position row; kernel column kj is
    /// `kj * ld` further on.
    @inline(__always)
    static func foldRow(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, ld: Int, w: Int,
                        _ dst: UnsafeMutablePointer<Float>, overwrite: Bool, two: Bool) {
        let a0 = a, a1 = a + ld, a2 = a + 2 * ld, a3 = a + 3 * ld
        let b0 = b, b1 = b + ld, b2 = b + 2 * ld, b3 = b + 3 * ld
        @inline(__always) func put(_ i: Int, _ v: Float) { if overwrite { dst[i] = v } else { dst[i] += v } }
        // Column phase 0 takes kj = 1 at u and kj = 3 at u - 1; phase 1
        // takes kj = 2 at u and kj = 0 at u + 1.
        @inline(__always) func even(_ u: Int, left: Bool) -> Float {
            var v = a1[u]
            if two { v += b1[u] }
            if left { v += a3[u - 1]; if two { v += b3[u - 1] } }
            return v
        }
        @inline(__always) func odd(_ u: Int, right: Bool) -> Float {
            var v = a2[u]
            if two { v += b2[u] }
            if right { v += a0[u + 1]; if two { v += b0[u + 1] } }
            return v
        }
        if w == 1 {
            put(0, even(0, left: false)); put(1, odd(0, right: false))
            return
        }
        put(0, even(0, left: false)); put(1, odd(0, right: true))
        // Two interior loops rather than `put` in one: the single loop read
        // 2.29-2.33 against 2.23-2.28 ms on the 64 -> 3 layer, alternating.
        var u = 1
        if overwrite {
            while u < w - 1 {
                dst[2 * u] = even(u, left: true)
                dst[2 * u + 1] = odd(u, right: true)
                u += 1
            }
        } else {
            while u < w - 1 {
                dst[2 * u] += even(u, left: true)
                dst[2 * u + 1] += odd(u, right: true)
                u += 1
            }
        }
        put(2 * (w - 1), even(w - 1, left: true)); put(2 * w - 1, odd(w - 1, right: false))
    }

    /// `col2im`, or `col2imStride2K4` where it applies. With `overwrite`
    /// (only where `isStride2Kernel4`, which reaches every pixel once) the
    /// image's previous contents are replaced instead of added to.
    @inlinable
    public func fold(_ cols: UnsafePointer<Float>, ld: Int, _ image: UnsafeMutablePointer<Float>, overwrite: Bool = false) {
        precondition(!overwrite || isStride2Kernel4, "fold: overwrite needs a 4x4 stride-2 padding-1 geometry, got \(self)")
        if isStride2Kernel4 { col2imStride2K4(cols, ld: ld, image, overwrite: overwrite) } else { col2im(cols, ld: ld, image) }
    }
}

extension ConvGeometry {
    /// `im2col` with the channels split across cores.
    @inlinable
    public func im2colParallel(_ image: UnsafePointer<Float>, _ cols: UnsafeMutablePointer<Float>, ld: Int,
                               rows outRows: Range<Int>? = nil) {
        let per = kernelH * kernelW
        let work = per * (outRows?.count ?? outH) * outW
        Parallel.forEach(channels, minimum: max(1, 16_384 / max(1, work))) { r in
            var g = self
            g.channels = r.count
            g.im2col(image + r.lowerBound * height * width, cols + r.lowerBound * per * ld, ld: ld, rows: outRows)
        }
    }

    /// `col2im` with the channels split across cores (each channel's plane
    /// is written by one core only).
    @inlinable
    public func col2imParallel(_ cols: UnsafePointer<Float>, ld: Int, _ image: UnsafeMutablePointer<Float>,
                               rows outRows: Range<Int>? = nil) {
        let per = kernelH * kernelW
        let work = per * (outRows?.count ?? outH) * outW
        Parallel.forEach(channels, minimum: max(1, 16_384 / max(1, work))) { r in
            var g = self
            g.channels = r.count
            g.col2im(cols + r.lowerBound * per * ld, ld: ld, image + r.lowerBound * height * width, rows: outRows)
        }
    }
}
