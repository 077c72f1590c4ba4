extension Variable {
    /// sum_i weights[i] * xs[i] over same-shaped inputs, in one pass (the
    /// layer-weighted sum of LSE/NSE-1). `weights` has shape (L) or (L, 1, ...).
    /// Gradients: d/dxs[i] = weights[i] * g, d/dweights[i] = <g, xs[i]>.
    ///
    /// Element blocks run across cores; each element is summed in input
    /// order, and each weight's gradient is a sum of fixed-size block sums
    /// in block order, so the bits do not depend on the core count.
    public static func weightedSum(_ xs: [Variable], weights: Variable) -> Variable {
        precondition(!xs.isEmpty && weights.value.count == xs.count,
                     "weightedSum: \(xs.count) inputs and weights of shape \(weights.shape)")
        let shape = xs[0].shape
        for x in xs { checkSameShape(x.shape, shape, "weightedSum") }
        let w = weights.value.data
        let n = xs[0].value.count
        let values = xs.map(\.value)
        let result = Tensor.withPointers(values) { inputs in
            Tensor(shape: shape) { o in
                let out = UncheckedSendable(o)
                Parallel.forEach(WeightedSumBlocks.count(n), minimum: 4) { blocks in
                    for blk in blocks {
                        let r = WeightedSumBlocks.range(blk, n)
                        let o = out.value
                        for j in r { o[j] = 0 }
                        for (i, a) in inputs.value.enumerated() {
                            let wi = w[i]
                            for j in r { o[j] += wi * a[j] }
                        }
                    }
                }
            }
        }
        let parents = xs + [weights]
        guard tracking(parents) else { return Variable(result) }
        return Variable(result, parents: parents) { g in
            var grads: [Tensor?] = xs.enumerated().map { i, x in x.requiresGrad ? g.scaled(w[i]) : nil }
            if weights.requiresGrad {
                let gw = values.map { $0.blockedDot(g) }
                grads.append(Tensor(shape: weights.shape, data: gw))
            } else {
                grads.append(nil)
            }
            return grads
        }
    }
}

/// The fixed element blocks of `weightedSum` (independent of the core count).
enum WeightedSumBlocks {
    static let size = 1 << 14
    static func count(_ n: Int) -> Int { (n + size - 1) / size }
    static func range(_ blk: Int, _ n: Int) -> Range<Int> { blk * size..<min(n, (blk + 1) * size) }
}

extension Tensor {
    /// Base addresses of several tensors' storage for the duration of `body`.
    static func withPointers<R>(_ ts: [Tensor], _ body: (UncheckedSendable<[UnsafePointer<Float>]>) -> R) -> R {
        func nest(_ i: Int, _ acc: [UnsafePointer<Float>]) -> R {
            if i == ts.count { return body(UncheckedSendable(acc)) }
            return ts[i].data.withUnsafeBufferPointer { p in
                nest(i + 1, acc + [p.baseAddress ?? UnsafePointer(bitPattern: 16)!])
            }
        }
        return nest(0, [])
    }

    /// <self, other> over equal counts: eight-lane sums of fixed blocks
    /// (across cores), added in block order.
    func blockedDot(_ other: Tensor) -> Float {
        precondition(count == other.count, "blockedDot: \(count) and \(other.count) elements")
        let n = count
        let blocks = WeightedSumBlocks.count(n)
        var partial = [Float](repeating: 0, count: blocks)
        data.withUnsafeBufferPointer { ap in
        other.data.withUnsafeBufferPointer { bp in
        partial.withUnsafeMutableBufferPointer { pp in
            guard n > 0 else { return }
            let a = UncheckedSendable(ap.baseAddress!), b = UncheckedSendable(bp.baseAddress!), p = UncheckedSendable(pp.baseAddress!)
            Parallel.forEach(blocks, minimum: 4) { range in
                for blk in range {
                    let r = WeightedSumBlocks.range(blk, n)
                    var lanes = SIMD8<Float>(repeating: 0)
                    var q = r.lowerBound
                    while q + 8 <= r.upperBound {
                        lanes += UnsafeRawPointer(a.value + q).loadUnaligned(as: SIMD8<Float>.self)
                            * UnsafeRawPointer(b.value + q).loadUnaligned(as: SIMD8<Float>.self)
                        q += 8
                    }
                    var s = lanes.sum()
                    while q < r.upperBound { s += a.value[q] * b.value[q]; q += 1 }
                    p.value[blk] = s
                }
            }
        }}}
        return partial.reduce(0, +)
    }
}
