/// A convolution, its channel bias and a ReLU as one differentiable op
/// (the extractor heads' `conv -> relu` pairs).
///
/// Apart, the three make two more full passes over the activation and keep
/// two copies of it for backward (the convolution's output for the ReLU's
/// mask, and the ReLU's output for the next layer); at 1024 px that is
/// 90 MB a layer. Together, the bias and the ReLU are applied in place as
/// the output is finished, the backward pass masks the gradient and sums it
/// per channel in one pass, and only the output is kept (`y > 0` is
/// `x + b > 0`). The values are bit for bit those of
/// `conv2d(_:bias:_:).relu()`.
extension Variable {
    public func conv2dReLU(_ weight: Variable, bias: Variable? = nil, _ o: Conv2DOptions = .init()) -> Variable {
        let parents = [self, weight] + (bias.map { [$0] } ?? [])
        let tracking = Variable.tracking(parents)
        let cout = weight.shape[0]
        let out = value.conv2d(weight.value, bias: nil, o, winograd: Winograd.allowed(training: tracking),
                               epilogue: ChannelEpilogue(scale: [Float](repeating: 1, count: cout),
                                                         shift: bias?.value.data ?? [Float](repeating: 0, count: cout),
                                                         relu: true))
        guard tracking else { return Variable(out) }
        let xv = value, wv = weight.value, y = out
        return Variable(out, parents: parents) { g in
            let (gz, gb) = g.reluGradient(output: y, channelSums: bias?.requiresGrad ?? false)
            let (gx, gw) = xv.conv2dBackward(wv, gz, o, needInput: self.requiresGrad, needWeight: weight.requiresGrad)
            var r: [Tensor?] = [gx, gw]
            if bias != nil { r.append(gb) }
            return r
        }
    }
}

extension Tensor {
    /// ReLU's backward pass from its output `y` (self is the output
    /// gradient): g where y > 0, else 0, as `rectifiedGradient` gives it;
    /// with `channelSums`, also the masked gradient summed per channel
    /// (axis 1), in `channelSums()`'s order, so the bias gradient has the
    /// same bits.
    public func reluGradient(output y: Tensor, channelSums: Bool) -> (Tensor, Tensor?) {
        checkSameShape(shape, y.shape, "ReLU backward")
        checkShapes(rank >= 2, "ReLU backward", shape, [], "needs an (N, C, ...) tensor")
        let n = shape[0], c = shape[1], p = count / max(1, n * c)
        var sums = [Float](repeating: 0, count: channelSums ? c : 0)
        let masked = data.withUnsafeBufferPointer { gp in
        y.data.withUnsafeBufferPointer { yp in
        sums.withUnsafeMutableBufferPointer { sp in
        Tensor(shape: shape) { op in
            guard count > 0 else { return }
            let g = UncheckedSendable(gp.baseAddress!), yv = UncheckedSendable(yp.baseAddress!)
            let o = UncheckedSendable(op), s = UncheckedSendable(sp.baseAddress)
            // Channels across cores, each plane in eight lanes.
            Parallel.forEach(c, minimum: max(1, Tensor.elementwiseGrain / max(1, n * p))) { range in
                let zero = SIMD8<Float>(repeating: 0)
                for j in range {
                    var total: Float = 0
                    for i in 0..<n {
                        let off = (i * c + j) * p
                        let gb = g.value + off, yb = yv.value + off, ob = o.value + off
                        var lanes = SIMD8<Float>(repeating: 0)
                        var q = 0
                        while q + 8 <= p {
                            let v = UnsafeRawPointer(yb + q).loadUnaligned(as: SIMD8<Float>.self)
                            let d = UnsafeRawPointer(gb + q).loadUnaligned(as: SIMD8<Float>.self)
                            let m = zero.replacing(with: d, where: v .> zero)
                            UnsafeMutableRawPointer(ob + q).storeBytes(of: m, as: SIMD8<Float>.self)
                            lanes += m
                            q += 8
                        }
                        var sum = lanes.sum()
                        while q < p {
                            let m: Float = yb[q] > 0 ? gb[q] : 0
                            ob[q] = m
                            sum += m
                            q += 1
                        }
                        total += sum
                    }
                    if let sp = s.value { sp[j] = total }
                }
            }
        }}}}
        return (masked, channelSums ? Tensor(shape: [c], data: sums) : nil)
    }
}
