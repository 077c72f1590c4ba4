extension Tensor {
    /// `conv2d` without the kernel rows and columns whose taps read only zero
    /// padding at every output position. A dilated 3x3 convolution whose rate
    /// is at least the map's size is then the 1x1 convolution of its centre
    /// tap (DeepLabV3's rate-36 ASPP branch on a 32x32 map): the same sums
    /// without eight ninths of the work. Only a symmetric trim is taken (the
    /// kept kernel stays centred, so padding and output size stay as they are).
    /// Where every tap reaches the image from some outputs but off-centre ones
    /// only from part of them (rates 12 and 24 on 32x32), the output is done
    /// in regions over their own taps when that saves at least 15 % of the
    /// work (`conv2dByTapRegions`); otherwise this is `conv2d`.
    public func conv2dSkippingPaddingTaps(_ weight: Tensor, bias: Tensor? = nil, _ o: Conv2DOptions = .init(),
                                          winograd: Bool = Winograd.allowed(training: false)) -> Tensor {
        precondition(rank == 4 && weight.rank == 4, "conv2d: input \(shape) and weight \(weight.shape) must be 4-d")
        let kh = weight.shape[2], kw = weight.shape[3]
        // Dilated, with taps that read only padding somewhere: regions over their own taps
        // (this also covers the centred trim below, without copying the cropped kernel each call).
        if var y = conv2dByTapRegions(weight, o) {
            if let bias { y.addChannelBias(bias) }
            return y
        }
        let rows = Tensor.usedTaps(kernel: kh, input: shape[2], stride: o.stride.h, padding: o.padding.h, dilation: o.dilation.h)
        let cols = Tensor.usedTaps(kernel: kw, input: shape[3], stride: o.stride.w, padding: o.padding.w, dilation: o.dilation.w)
        guard rows.count < kh || cols.count < kw else { return conv2d(weight, bias: bias, o, winograd: winograd) }
        let trimmed = weight.cropKernel(rows: rows, cols: cols)
        var t = o
        t.padding = (o.padding.h - rows.lowerBound * o.dilation.h, o.padding.w - cols.lowerBound * o.dilation.w)
        return conv2d(trimmed, bias: bias, t, winograd: winograd)
    }

    /// The kernel offsets that reach the image for some output position, as
    /// a centred range (all offsets when the used ones are not symmetric).
    static func usedTaps(kernel k: Int, input n: Int, stride s: Int, padding p: Int, dilation d: Int) -> Range<Int> {
        let out = (n + 2 * p - d * (k - 1) - 1) / s + 1
        guard out > 0 else { return 0..<k }
        // Tap i reads rows o*s - p + i*d for o in 0..<out; it is used when that range meets [0, n).
        let used = (0..<k).filter { i in
            let first = -p + i * d, last = (out - 1) * s - p + i * d
            return last >= 0 && first <= n - 1
        }
        guard let lo = used.first, let hi = used.last, lo == k - 1 - hi, lo * d <= p else { return 0..<k }
        return lo..<(hi + 1)
    }

    /// weight[:, :, rows, cols] of an (out, in, kh, kw) kernel.
    func cropKernel(rows: Range<Int>, cols: Range<Int>) -> Tensor {
        let o = shape[0], i = shape[1], kh = shape[2], kw = shape[3]
        var out = [Float]()
        out.reserveCapacity(o * i * rows.count * cols.count)
        for a in 0..<(o * i) { for y in rows { for x in cols { out.append(data[(a * kh + y) * kw + x]) } } }
        return Tensor(shape: [o, i, rows.count, cols.count], data: out)
    }
}
