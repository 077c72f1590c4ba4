import Foundation

extension Variable {
    /// Softmax over the `classes` values of one pixel of an (N, C, H, W)
    /// buffer, `stride` (H x W) apart from `base` on: writes the
    /// probabilities to the same places of `prob` and returns the largest
    /// logit and the sum of exp(logit - largest) (log-sum-exp's parts).
    @inline(__always)
    static func softmaxPixel(_ x: UnsafeBufferPointer<Float>, into prob: UnsafeMutableBufferPointer<Float>,
                             at base: Int, classes c: Int, stride p: Int) -> (max: Float, sum: Float) {
        var m = -Float.infinity
        for j in 0..<c { m = max(m, x[base + j * p]) }
        var s: Float = 0
        for j in 0..<c { let e = Foundation.exp(x[base + j * p] - m); prob[base + j * p] = e; s += e }
        let inv = 1 / s
        for j in 0..<c { prob[base + j * p] *= inv }
        return (m, s)
    }

    /// Per-pixel cross-entropy of logits (N, C, H, W) against integer labels
    /// (N, H, W): -log softmax(logits)[label], shape (N, H, W).
    public func crossEntropyPerPixel(_ labels: Labels) -> Variable {
        precondition(value.rank == 4 && labels.shape == [shape[0], shape[2], shape[3]],
                     "cross-entropy: logits \(shape) vs labels \(labels.shape)")
        let n = shape[0], c = shape[1], p = shape[2] * shape[3]
        // Both are written in full below (every pixel, every class).
        var loss = [Float](uninitializedCount: n * p)
        var prob = [Float](uninitializedCount: value.count)
        value.data.withUnsafeBufferPointer { x in
          loss.withUnsafeMutableBufferPointer { lossP in
            prob.withUnsafeMutableBufferPointer { prob in
            // Pixels are independent: split them across cores.
            Parallel.forEach(n * p, minimum: 16_384) { range in
            for idx in range {
                let i = idx / p, q = idx % p
                do {
                    let (m, s) = Variable.softmaxPixel(x, into: prob, at: i * c * p + q, classes: c, stride: p)
                    let t = Int(labels.data[i * p + q])
                    precondition(t >= 0 && t < c, "cross-entropy: label \(t) outside 0..<\(c)")
                    lossP[i * p + q] = -(x[(i * c + t) * p + q] - m - Foundation.log(s))
                }
            }
            }
            }
          }
        }
        let out = Tensor(shape: labels.shape, data: loss)
        guard Variable.tracking(self) else { return Variable(out) }
        let s = shape
        return Variable(out, parents: [self]) { g in
            // (softmax - onehot(label)) * g, one class plane at a time,
            // planes across cores.
            let gx = prob.withUnsafeBufferPointer { pp in
            g.data.withUnsafeBufferPointer { gp in
            labels.data.withUnsafeBufferPointer { lp in
            Tensor(shape: s) { o in
                let pr = UncheckedSendable(pp.baseAddress!), gv = UncheckedSendable(gp.baseAddress!)
                let lb = UncheckedSendable(lp.baseAddress!), out = UncheckedSendable(o)
                Parallel.forEach(n * c, minimum: max(1, Tensor.elementwiseGrain / max(1, p))) { planes in
                    for plane in planes {
                        let i = plane / c, j = Int32(plane % c)
                        let src = pr.value + plane * p, dst = out.value + plane * p
                        let gs = gv.value + i * p, ls = lb.value + i * p
                        for q in 0..<p { dst[q] = (ls[q] == j ? src[q] - 1 : src[q]) * gs[q] }
                    }
                }
            }}}}
            return [gx]
        }
    }

    /// Mean cross-entropy over all pixels (PyTorch `F.cross_entropy`).
    public func crossEntropy(_ labels: Labels) -> Variable {
        crossEntropyPerPixel(labels).mean()
    }

    /// Focal loss on the per-pixel cross-entropy: mean(alpha * (1 - pt)^gamma * ce)
    /// with pt = exp(-ce). Built from primitives.
    public func focalLoss(_ labels: Labels, alpha: Float = 1, gamma: Float = 2) -> Variable {
        let ce = crossEntropyPerPixel(labels)
        let oneMinusPt = (-ce).exp().scaled(-1) + 1
        let weight = gamma == 2 ? oneMinusPt.square() : oneMinusPt.pow(gamma)
        return (weight * ce).mean().scaled(alpha)
    }
}
