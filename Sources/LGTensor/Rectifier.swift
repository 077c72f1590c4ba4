/// ReLU and LeakyReLU as eight-lane loops across cores (they run over every
/// activation of every network; a per-element closure call, or a branch on
/// each element's sign, cost several times the arithmetic).
extension Tensor {
    /// Elements per part when splitting across cores.
    public static let elementwiseGrain = 1 << 15

    /// slope 0, gain 1: max(x, 0). Otherwise (x >= 0 ? x : x * slope) * gain.
    public func rectified(slope: Float, gain: Float) -> Tensor {
        guard count > 0 else { return self }
        return data.withUnsafeBufferPointer { xp in
        Tensor(shape: shape) { op in
            let x = UncheckedSendable(xp.baseAddress!), o = UncheckedSendable(op)
            let relu = slope == 0 && gain == 1
            Parallel.forEach(count, minimum: Tensor.elementwiseGrain) { r in
                let x = x.value, o = o.value
                var i = r.lowerBound
                let zero = SIMD8<Float>(repeating: 0), s = SIMD8<Float>(repeating: slope), k = SIMD8<Float>(repeating: gain)
                while i + 8 <= r.upperBound {
                    let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
                    let y = relu ? v.replacing(with: zero, where: .!(v .> zero)) : (v * s).replacing(with: v, where: v .>= zero) * k
                    UnsafeMutableRawPointer(o + i).storeBytes(of: y, as: SIMD8<Float>.self)
                    i += 8
                }
                while i < r.upperBound {
                    let v = x[i]
                    o[i] = relu ? (v > 0 ? v : 0) : (v >= 0 ? v : v * slope) * gain
                    i += 1
                }
            }
        }}
    }

    /// The gradient of `rectified` given the output gradient (self) and the
    /// input: slope 0, gain 1 passes it where x > 0 (ReLU, as PyTorch);
    /// otherwise g * (x >= 0 ? gain : slope * gain).
    public func rectifiedGradient(input: Tensor, slope: Float, gain: Float) -> Tensor {
        checkSameShape(shape, input.shape, "rectifier backward")
        guard count > 0 else { return self }
        return data.withUnsafeBufferPointer { gp in
        input.data.withUnsafeBufferPointer { xp in
        Tensor(shape: shape) { op in
            let g = UncheckedSendable(gp.baseAddress!), x = UncheckedSendable(xp.baseAddress!), o = UncheckedSendable(op)
            let relu = slope == 0 && gain == 1
            Parallel.forEach(count, minimum: Tensor.elementwiseGrain) { r in
                let g = g.value, x = x.value, o = o.value
                let zero = SIMD8<Float>(repeating: 0)
                let pos = SIMD8<Float>(repeating: gain), neg = SIMD8<Float>(repeating: slope * gain)
                var i = r.lowerBound
                while i + 8 <= r.upperBound {
                    let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
                    let d = UnsafeRawPointer(g + i).loadUnaligned(as: SIMD8<Float>.self)
                    let y = relu ? zero.replacing(with: d, where: v .> zero) : d * neg.replacing(with: pos, where: v .>= zero)
                    UnsafeMutableRawPointer(o + i).storeBytes(of: y, as: SIMD8<Float>.self)
                    i += 8
                }
                while i < r.upperBound {
                    o[i] = relu ? (x[i] > 0 ? g[i] : 0) : g[i] * (x[i] >= 0 ? gain : slope * gain)
                    i += 1
                }
            }
        }}}
    }
}
