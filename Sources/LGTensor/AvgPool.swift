import CKernels

/// Options of a 2-d average pooling (PyTorch's `AvgPool2d` arguments).
public struct AvgPool2DOptions: Sendable, Equatable {
    public var kernel: Int
    public var stride: Int
    public var padding: Int
    /// Output size rounds up; a window that would start in the right/bottom
    /// padding is dropped, as PyTorch does.
    public var ceilMode: Bool
    /// Padding zeros count in the divisor (the window clipped to the padded
    /// image); otherwise only the in-image elements count.
    public var countIncludePad: Bool

    public init(kernel: Int, stride: Int? = nil, padding: Int = 0, ceilMode: Bool = false, countIncludePad: Bool = true) {
        self.kernel = kernel; self.stride = stride ?? kernel; self.padding = padding
        self.ceilMode = ceilMode; self.countIncludePad = countIncludePad
    }

    /// Output length along an axis of `n` inputs (PyTorch's `pooling_output_shape`).
    public func outputSize(_ n: Int) -> Int {
        let span = n + 2 * padding - kernel
        precondition(span >= 0, "avgPool2d: input length \(n) too small for kernel \(kernel) with padding \(padding)")
        var out = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1
        if ceilMode && (out - 1) * stride >= n + padding { out -= 1 }
        return out
    }
}

extension Tensor {
    /// Average pooling over (N, C, H, W) with PyTorch's `AvgPool2d` semantics
    /// (ceil mode, count_include_pad), across cores; inference only.
    public func avgPool2d(_ o: AvgPool2DOptions) -> Tensor {
        precondition(rank == 4, "avgPool2d needs an (N, C, H, W) tensor, got \(shape)")
        precondition(o.kernel >= 1 && o.stride >= 1 && o.padding >= 0 && 2 * o.padding <= o.kernel,
                     "avgPool2d: kernel \(o.kernel), stride \(o.stride), padding \(o.padding) (padding must be at most half the kernel)")
        let h = shape[2], w = shape[3], planes = shape[0] * shape[1]
        if o.kernel == 1 && o.stride == 1 && o.padding == 0 { return self }
        let oh = o.outputSize(h), ow = o.outputSize(w)
        // Per output row/column: the clipped input range and the divisor's factor.
        func axis(_ n: Int, _ outN: Int) -> (lo: [Int], hi: [Int], size: [Int]) {
            var lo = [Int](), hi = [Int](), size = [Int]()
            for i in 0..<outN {
                let start = i * o.stride - o.padding
                let end = min(start + o.kernel, n + o.padding)
                let a = max(start, 0), b = min(end, n)
                lo.append(a); hi.append(b)
                size.append(o.countIncludePad ? end - start : b - a)
            }
            return (lo, hi, size)
        }
        let ay = axis(h, oh), ax = axis(w, ow)
        let ylo = ay.lo, yhi = ay.hi, ydiv = ay.size, xdiv = ax.size
        let k = o.kernel, s = o.stride, pad = o.padding
        return Tensor(shape: [shape[0], shape[1], oh, ow]) { dst in
            let d = UncheckedSendable(dst)
            data.withUnsafeBufferPointer { srcBuf in
                let src = UncheckedSendable(srcBuf.baseAddress!)
                // Each plane by `lg_avg_pool_plane`: per output, the window's
                // float sum in row-major order, as written per output.
                Parallel.forEach(planes, minimum: max(1, Tensor.elementwiseGrain / max(1, h * w))) { range in
                    let buf = UnsafeMutablePointer<Float>.allocate(capacity: (ow - 1) * s + k + ow)
                    defer { buf.deallocate() }
                    for p in range {
                        lg_avg_pool_plane(src.value + p * h * w, w, k, s, pad, oh, ow, ylo, yhi, ydiv, xdiv, buf,
                                          d.value + p * oh * ow)
                    }
                }
            }
        }
    }

    /// The mean of each (sample, channel) plane of an (N, C, H, W) tensor -> (N, C, 1, 1)
    /// (PyTorch's `adaptive_avg_pool2d(x, 1)`), summed in Double.
    public func globalAveragePool() -> Tensor {
        precondition(rank == 4, "globalAveragePool needs an (N, C, H, W) tensor, got \(shape)")
        let planes = shape[0] * shape[1], p = shape[2] * shape[3]
        return Tensor(shape: [shape[0], shape[1], 1, 1]) { dst in
            data.withUnsafeBufferPointer { src in
                for q in 0..<planes {
                    var sum: Double = 0
                    let base = src.baseAddress! + q * p
                    for i in 0..<p { sum += Double(base[i]) }
                    dst[q] = Float(sum / Double(max(1, p)))
                }
            }
        }
    }
}
