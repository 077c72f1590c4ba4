extension Variable {
    /// sum_i weights[i] * xs[i] over same-shaped inputs, in one pass (the
    /// layer-weighted sum of LSE/NSE-1). `weights` has shape (L) or (L, 1, ...).
    /// Gradients: d/dxs[i] = weights[i] * g, d/dweights[i] = <g, xs[i]>.
    public static func weightedSum(_ xs: [Variable], weights: Variable) -> Variable {
        precondition(!xs.isEmpty && weights.value.count == xs.count,
                     "weightedSum: \(xs.count) inputs and weights of shape \(weights.shape)")
        let shape = xs[0].shape
        for x in xs { checkSameShape(x.shape, shape, "weightedSum") }
        let w = weights.value.data
        let n = xs[0].value.count
        var out = [Float](repeating: 0, count: n)
        out.withUnsafeMutableBufferPointer { o in
            for (i, x) in xs.enumerated() {
                let wi = w[i]
                x.value.data.withUnsafeBufferPointer { a in
                    for j in 0..<n { o[j] += wi * a[j] }
                }
            }
        }
        let result = Tensor(shape: shape, data: out)
        let parents = xs + [weights]
        guard tracking(parents) else { return Variable(result) }
        let values = xs.map(\.value)
        return Variable(result, parents: parents) { g in
            var grads: [Tensor?] = xs.enumerated().map { i, x in x.requiresGrad ? g.scaled(w[i]) : nil }
            if weights.requiresGrad {
                var gw = [Float](repeating: 0, count: xs.count)
                g.data.withUnsafeBufferPointer { gp in
                    for (i, v) in values.enumerated() {
                        v.data.withUnsafeBufferPointer { a in
                            var s: Float = 0
                            for j in 0..<n { s += gp[j] * a[j] }
                            gw[i] = s
                        }
                    }
                }
                grads.append(Tensor(shape: weights.shape, data: gw))
            } else {
                grads.append(nil)
            }
            return grads
        }
    }
}
