import LGTensor

/// StyleGAN2's synthesis layers without gradients: the operations of
/// `modulatedLayer` and `toRGB` (a modulated layer's weight scale applied to
/// the style instead of the weight, as `toRGB` does), but the modulation is one
/// pass over the input and demodulation, noise, bias and LeakyReLU one pass
/// over the convolution's output, instead of a broadcast tensor operation
/// (and a fresh zero-filled tensor) for each. At 1024 px those passes were
/// most of the generator's time.
extension StyleGAN2Generator {
    /// Whether layer inputs `x` and `w` need the graph (a gradient is recorded).
    func recordsGradients(_ x: Variable, _ w: Variable) -> Bool {
        Variable.tracking(x, w) || (GradMode.enabled && requiresParameterGradients)
    }

    func modulatedLayerInference(_ x: Tensor, layer l: Int, style s: Tensor) -> Tensor {
        let p = "synthesis.layer\(l)."
        let (cin, cout, res) = layerShape(l)
        let n = x.shape[0]
        // The equalised-learning-rate scale goes into the style, not into a
        // scaled copy of the weight: the convolution then gets the stored
        // weight itself, whose transformed copy `TransformedWeightCache`
        // keeps between calls. (A scaled copy was new storage on every call:
        // never a hit, and up to the cache's 512 MB of dead entries.)
        let weight = store[p + "weight"].value
        let scaled = s.scaled(1 / Float(cin * 9).squareRoot())
        var h = x.scaledPerSampleChannel(scaled)
        // 1/sqrt(sum over (in, kh, kw) of (weight * style)^2 + eps) per (sample, out), as the graph computes it.
        // Kept per weight: a pass over the whole weight and a temporary its size on every call otherwise.
        let w2 = Variable(TransformedWeightCache.shared.derived(weight, scheme: "stylegan2-sum-sq") {
            Variable(weight).square().sum(axes: [2, 3]).value
        })
        let sumSq: Variable
        if isUpsampling(l) {
            h = h.convTranspose2d(weight, ConvTranspose2DOptions(stride: 2))
            h = h.upfirdn2d(StyleGAN2Generator.firKernel, UpFirDnOptions(pad: (1, 1)))
            sumSq = Variable(scaled).square().matmul(w2)
        } else {
            h = h.conv2d(weight, Conv2DOptions(padding: 1))
            sumSq = Variable(scaled).square().linear(w2)
        }
        let demod = (sumSq + 1e-8).pow(-0.5).value                    // (N, out)
        let noise = config.randomizeNoise ? noiseRandom.normalTensor([n, 1, res, res]) : store[p + "noise"].value
        let strength = store[p + "noise_strength"].value.data[0]
        let bias = store[p + "bias"].value
        precondition(h.shape == [n, cout, res, res], "StyleGAN2 layer \(l): \(h.shape)")
        h.demodulateAddNoiseBiasLeaky(demod: demod, noise: noise, strength: strength, bias: bias)
        return h
    }

    func toRGBInference(_ x: Tensor, block b: Int, style s: Tensor) -> Tensor {
        let q = "synthesis.output\(b)."
        return x.scaledPerSampleChannel(s).conv2d(store[q + "weight"].value, bias: store[q + "bias"].value)
    }
}

extension Tensor {
    /// x[i, c, ...] * s[i, c] for x (N, C, ...) and s (N, C), across cores.
    func scaledPerSampleChannel(_ s: Tensor) -> Tensor {
        let n = shape[0], c = shape[1], p = count / max(1, n * c)
        precondition(s.shape == [n, c], "modulation: styles \(s.shape) for activations \(shape)")
        return data.withUnsafeBufferPointer { xp in
        s.data.withUnsafeBufferPointer { sp in
        Tensor(shape: shape) { op in
            let x = UncheckedSendable(xp.baseAddress!), sv = UncheckedSendable(sp.baseAddress!), o = UncheckedSendable(op)
            Parallel.forEach(n * c, minimum: max(1, Tensor.elementwiseGrain / max(1, p))) { range in
                for plane in range {
                    let a = sv.value[plane], src = x.value + plane * p, dst = o.value + plane * p
                    for q in 0..<p { dst[q] = src[q] * a }
                }
            }
        }}}
    }

    /// In place: v = (h * demod[i, c] + noise[i or 0, pixel] * strength) + bias[c],
    /// then LeakyReLU(0.2) * sqrt(2), the graph's order of operations.
    mutating func demodulateAddNoiseBiasLeaky(demod: Tensor, noise: Tensor, strength: Float, bias: Tensor) {
        let n = shape[0], c = shape[1], p = count / max(1, n * c)
        precondition(demod.shape == [n, c] && bias.count == c && noise.count % p == 0 && [1, n].contains(noise.count / p),
                     "demodulation: \(demod.shape), noise \(noise.shape), bias \(bias.shape) for \(shape)")
        let sharedNoise = noise.count == p
        let gain = Float(2).squareRoot()
        // The noise term once per sample (it is the same for every channel).
        let nz = Tensor(shape: noise.shape, data: noise.data.map { $0 * strength })
        data.withUnsafeMutableBufferPointer { hp in
        demod.data.withUnsafeBufferPointer { dp in
        nz.data.withUnsafeBufferPointer { np in
        bias.data.withUnsafeBufferPointer { bp in
            let h = UncheckedSendable(hp.baseAddress!), d = UncheckedSendable(dp.baseAddress!)
            let z = UncheckedSendable(np.baseAddress!), b = UncheckedSendable(bp.baseAddress!)
            Parallel.forEach(n * c, minimum: max(1, Tensor.elementwiseGrain / max(1, p))) { range in
                for plane in range {
                    let i = plane / c, ch = plane % c
                    let a = d.value[plane], bb = b.value[ch], row = h.value + plane * p
                    let zr = z.value + (sharedNoise ? 0 : i * p)
                    for q in 0..<p {
                        let v = (row[q] * a + zr[q]) + bb
                        row[q] = (v >= 0 ? v : v * 0.2) * gain
                    }
                }
            }
        }}}}
    }
}
