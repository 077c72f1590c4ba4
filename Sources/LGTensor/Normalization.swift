import Foundation

extension Variable {
    /// Batch normalisation over (N, C, ...) with per-channel statistics.
    ///
    /// Eval mode (`training == false`): y = (x - runningMean) / sqrt(runningVar + eps) * weight + bias.
    /// Train mode: the batch's mean and biased variance normalise; the running
    /// statistics are updated in place as PyTorch does (unbiased variance,
    /// `running = (1 - momentum) * running + momentum * batch`).
    public func batchNorm(weight: Variable?, bias: Variable?, runningMean: inout Tensor, runningVar: inout Tensor,
                          training: Bool, momentum: Float = 0.1, eps: Float = 1e-5) -> Variable {
        precondition(value.rank >= 2, "batchNorm needs (N, C, ...), got \(shape)")
        let n = shape[0], c = shape[1], p = value.count / max(1, n * c)
        precondition(runningMean.count == c && runningVar.count == c,
                     "batchNorm: running stats \(runningMean.shape)/\(runningVar.shape) for input \(shape)")
        var mean = [Float](repeating: 0, count: c), invStd = [Float](repeating: 0, count: c)
        if training {
            let m = Float(n * p)
            value.data.withUnsafeBufferPointer { x in
                for j in 0..<c {
                    var s: Double = 0, ss: Double = 0
                    for i in 0..<n { let b = (i * c + j) * p; for q in 0..<p { let v = Double(x[b + q]); s += v; ss += v * v } }
                    let mu = s / Double(m)
                    let varB = max(0, ss / Double(m) - mu * mu)
                    mean[j] = Float(mu); invStd[j] = Float(1 / (varB + Double(eps)).squareRoot())
                    let unbiased = m > 1 ? varB * Double(m) / Double(m - 1) : varB
                    runningMean.data[j] = (1 - momentum) * runningMean.data[j] + momentum * Float(mu)
                    runningVar.data[j] = (1 - momentum) * runningVar.data[j] + momentum * Float(unbiased)
                }
            }
        } else {
            for j in 0..<c { mean[j] = runningMean.data[j]; invStd[j] = 1 / (runningVar.data[j] + eps).squareRoot() }
        }
        let gamma = weight?.value.data ?? [Float](repeating: 1, count: c)
        let beta = bias?.value.data ?? [Float](repeating: 0, count: c)
        var parents: [Variable] = [self]
        if let weight { parents.append(weight) }
        if let bias { parents.append(bias) }
        if !Variable.tracking(parents) {
            // Inference: one fused scale-and-shift pass, nothing saved.
            var out = [Float](repeating: 0, count: value.count)
            value.data.withUnsafeBufferPointer { x in
                out.withUnsafeMutableBufferPointer { o in
                    for i in 0..<n { for j in 0..<c {
                        let a = gamma[j] * invStd[j], b = beta[j] - mean[j] * a, base = (i * c + j) * p
                        for q in 0..<p { o[base + q] = x[base + q] * a + b }
                    } }
                }
            }
            return Variable(Tensor(shape: shape, data: out))
        }
        var xhat = [Float](repeating: 0, count: value.count)
        var out = [Float](repeating: 0, count: value.count)
        value.data.withUnsafeBufferPointer { x in
            for i in 0..<n { for j in 0..<c {
                let b = (i * c + j) * p, mu = mean[j], istd = invStd[j], g = gamma[j], bt = beta[j]
                for q in 0..<p { let h = (x[b + q] - mu) * istd; xhat[b + q] = h; out[b + q] = h * g + bt }
            } }
        }
        let outT = Tensor(shape: shape, data: out)
        let s = shape
        return Variable(outT, parents: parents) { gy in
            var gx = [Float](repeating: 0, count: gy.count)
            var gGamma = [Float](repeating: 0, count: c), gBeta = [Float](repeating: 0, count: c)
            for j in 0..<c {
                var sg: Float = 0, sgx: Float = 0
                for i in 0..<n { let b = (i * c + j) * p; for q in 0..<p { sg += gy.data[b + q]; sgx += gy.data[b + q] * xhat[b + q] } }
                gBeta[j] = sg; gGamma[j] = sgx
                let scale = gamma[j] * invStd[j]
                if training {
                    let m = Float(n * p)
                    for i in 0..<n { let b = (i * c + j) * p; for q in 0..<p {
                        gx[b + q] = scale * (gy.data[b + q] - sg / m - xhat[b + q] * sgx / m)
                    } }
                } else {
                    for i in 0..<n { let b = (i * c + j) * p; for q in 0..<p { gx[b + q] = scale * gy.data[b + q] } }
                }
            }
            var r: [Tensor?] = [Tensor(shape: s, data: gx)]
            if weight != nil { r.append(Tensor(shape: [c], data: gGamma).reshaped(weight!.shape)) }
            if bias != nil { r.append(Tensor(shape: [c], data: gBeta).reshaped(bias!.shape)) }
            return r
        }
    }

    /// Pixel-wise feature normalisation (PGGAN / StyleGAN):
    /// x / sqrt(mean over channels of x^2 + eps). Built from primitives;
    /// without gradients, `Tensor.pixelNormalized` in two passes.
    public func pixelNorm(eps: Float = 1e-8) -> Variable {
        guard Variable.tracking(self) else { return Variable(value.pixelNormalized(eps: eps)) }
        return self * (square().mean(axes: [1], keepDims: true) + eps).pow(-0.5)
    }
}

extension Tensor {
    /// x / sqrt(mean over channels of x^2 + eps) for (N, C, ...): per block
    /// of pixels, one pass summing the squares over the channels and one
    /// writing the output, across cores; no intermediate tensors (the
    /// 1024-px generators normalise 16 x 1M-pixel maps several times a pass).
    public func pixelNormalized(eps: Float = 1e-8) -> Tensor {
        checkShapes(rank >= 2, "pixelNorm", shape, [], "needs an (N, C, ...) tensor")
        let n = shape[0], c = shape[1], p = count / max(1, n * c)
        guard count > 0 else { return self }
        let block = 512, blocks = (p + block - 1) / block
        return data.withUnsafeBufferPointer { xp in
        Tensor(shape: shape) { op in
            let x = UncheckedSendable(xp.baseAddress!), o = UncheckedSendable(op)
            Parallel.forEach(n * blocks, minimum: max(1, Tensor.elementwiseGrain / max(1, c * block))) { range in
                let inv = UnsafeMutablePointer<Float>.allocate(capacity: block)
                defer { inv.deallocate() }
                let meanScale = 1 / Float(c)
                for t in range {
                    let i = t / blocks, q0 = (t % blocks) * block, len = min(block, p - q0)
                    let src = x.value + i * c * p + q0, dst = o.value + i * c * p + q0
                    inv.initialize(repeating: 0, count: len)
                    for j in 0..<c {
                        let row = src + j * p
                        for q in 0..<len { inv[q] += row[q] * row[q] }
                    }
                    for q in 0..<len { inv[q] = 1 / (inv[q] * meanScale + eps).squareRoot() }
                    for j in 0..<c {
                        let row = src + j * p, out = dst + j * p
                        for q in 0..<len { out[q] = row[q] * inv[q] }
                    }
                }
            }
        }}
    }
}
