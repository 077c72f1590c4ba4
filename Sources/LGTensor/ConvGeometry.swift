/// The geometry of a 2-d convolution: an image of `channels` x `height` x
/// `width` seen through a `kernelH` x `kernelW` window with stride, zero
/// padding and dilation, giving `outH` x `outW` positions.
///
/// `im2col` unfolds the image into a (channels*kernelH*kernelW, outH*outW)
/// matrix; `col2im` is its adjoint (accumulates such a matrix back).
public struct ConvGeometry: Sendable, Equatable {
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

    /// True when the unfolded matrix is the image itself (1x1, stride 1, no padding).
    public var isIdentity: Bool {
        kernelH == 1 && kernelW == 1 && strideH == 1 && strideW == 1 && padH == 0 && padW == 0
    }

    /// Unfolds `image` (channels x height x width) into `cols`, whose rows
    /// have leading dimension `ld` (>= positions).
    @inlinable
    public func im2col(_ image: UnsafePointer<Float>, _ cols: UnsafeMutablePointer<Float>, ld: Int) {
        let oh = outH, ow = outW
        var row = 0
        for c in 0..<channels {
            let plane = image + c * height * width
            for ki in 0..<kernelH {
                for kj in 0..<kernelW {
                    let dst = cols + row * ld
                    row += 1
                    let xoff = kj * dilationW - padW
                    // Range of output columns whose input column is inside the image.
                    let oxLo = xoff >= 0 ? 0 : min(ow, (-xoff + strideW - 1) / strideW)
                    let oxHi = max(oxLo, min(ow, (width - 1 - xoff) >= 0 ? (width - 1 - xoff) / strideW + 1 : 0))
                    for oy in 0..<oh {
                        let iy = oy * strideH - padH + ki * dilationH
                        let d = dst + oy * ow
                        if iy < 0 || iy >= height {
                            d.update(repeating: 0, count: ow)
                            continue
                        }
                        let src = plane + iy * width
                        if oxLo > 0 { d.update(repeating: 0, count: oxLo) }
                        if strideW == 1 {
                            (d + oxLo).update(from: src + oxLo + xoff, count: oxHi - oxLo)
                        } else {
                            var ix = oxLo * strideW + xoff
                            for ox in oxLo..<oxHi { d[ox] = src[ix]; ix += strideW }
                        }
                        if oxHi < ow { (d + oxHi).update(repeating: 0, count: ow - oxHi) }
                    }
                }
            }
        }
    }

    /// Accumulates `cols` (rows with leading dimension `ld`) into `image`.
    @inlinable
    public func col2im(_ cols: UnsafePointer<Float>, ld: Int, _ image: UnsafeMutablePointer<Float>) {
        let oh = outH, ow = outW
        var row = 0
        for c in 0..<channels {
            let plane = image + c * height * width
            for ki in 0..<kernelH {
                for kj in 0..<kernelW {
                    let src = cols + row * ld
                    row += 1
                    let xoff = kj * dilationW - padW
                    let oxLo = xoff >= 0 ? 0 : min(ow, (-xoff + strideW - 1) / strideW)
                    let oxHi = max(oxLo, min(ow, (width - 1 - xoff) >= 0 ? (width - 1 - xoff) / strideW + 1 : 0))
                    for oy in 0..<oh {
                        let iy = oy * strideH - padH + ki * dilationH
                        if iy < 0 || iy >= height { continue }
                        let dst = plane + iy * width
                        let s = src + oy * ow
                        var ix = oxLo * strideW + xoff
                        for ox in oxLo..<oxHi { dst[ix] += s[ox]; ix += strideW }
                    }
                }
            }
        }
    }
}
