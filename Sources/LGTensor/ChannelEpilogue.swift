import CKernels

/// A per-channel affine map and optional (leaky) ReLU, y = max(x * scale[c] + shift[c], 0),
/// applied to a convolution's output as it is written: an inference-mode
/// BatchNorm and the ReLU after it folded into the layer, which saves two
/// full passes over the activation (DCGAN-64's four hidden layers: about
/// 2 ms of a 50 ms batch-64 forward).
///
/// `y = x * scale + shift` is the very expression `batchNorm` evaluates in
/// eval mode (scale = weight / sqrt(runningVar + eps), shift = bias -
/// runningMean * scale), so the fused output has the same bits.
public struct ChannelEpilogue: Sendable {
    public var scale: [Float]
    public var shift: [Float]
    public var relu: Bool
    /// With `relu`, the slope below zero: 0 is ReLU (max(v, 0)), otherwise
    /// LeakyReLU (v >= 0 ? v : v * slope, as `rectified`).
    public var negativeSlope: Float

    public init(scale: [Float], shift: [Float], relu: Bool, negativeSlope: Float = 0) {
        precondition(scale.count == shift.count, "ChannelEpilogue: \(scale.count) scales, \(shift.count) shifts")
        self.scale = scale
        self.shift = shift
        self.relu = relu
        self.negativeSlope = negativeSlope
    }

    /// Inference BatchNorm's per-channel map: scale = weight / sqrt(runningVar + eps),
    /// shift = bias - runningMean * scale.
    public init(batchNormWeight weight: Tensor, bias: Tensor, runningMean: Tensor, runningVar: Tensor,
                eps: Float, relu: Bool) {
        let c = runningMean.count
        var scale = [Float](repeating: 0, count: c), shift = [Float](repeating: 0, count: c)
        for j in 0..<c {
            let invStd = 1 / (runningVar.data[j] + eps).squareRoot()
            scale[j] = weight.data[j] * invStd
            shift[j] = bias.data[j] - runningMean.data[j] * scale[j]
        }
        self.init(scale: scale, shift: shift, relu: relu)
    }

    /// The CKernels epilogue mode: 1 affine, 2 affine then (leaky) ReLU.
    var mode: Int32 { relu ? 2 : 1 }

    /// Applies the map to `count` values of channel `c` in place (CKernels:
    /// v * scale + shift, then v > 0 ? v : 0 for ReLU or v >= 0 ? v : v *
    /// slope for LeakyReLU, as `batchNorm` and `rectified` compute them).
    public func apply(_ p: UnsafeMutablePointer<Float>, count: Int, channel c: Int) {
        lg_epilogue_run(p, count, mode, scale[c], shift[c], negativeSlope)
    }
}

extension Optional where Wrapped == ChannelEpilogue {
    /// The CKernels epilogue arguments for channel `c`: mode 0 (none) when
    /// there is no epilogue, else its mode, the channel's scale and shift,
    /// and the slope below zero.
    func kernelArguments(channel c: Int) -> (mode: Int32, scale: Float, shift: Float, slope: Float) {
        guard let e = self else { return (0, 1, 0, 0) }
        return (e.mode, e.scale[c], e.shift[c], e.negativeSlope)
    }
}

extension Tensor {
    /// Applies `e` in place to an NCHW tensor (channels on axis 1), across cores.
    public mutating func applyChannelEpilogue(_ e: ChannelEpilogue) {
        precondition(rank >= 2 && shape[1] == e.scale.count,
                     "applyChannelEpilogue: \(e.scale.count) channels for a tensor of shape \(shape)")
        let n = shape[0], c = shape[1], p = count / max(1, n * c)
        data.withUnsafeMutableBufferPointer { buf in
            let base = UncheckedSendable(buf.baseAddress!)
            Parallel.forEach(n * c, minimum: max(1, Tensor.elementwiseGrain / max(1, p))) { range in
                for q in range { e.apply(base.value + q * p, count: p, channel: q % c) }
            }
        }
    }
}
