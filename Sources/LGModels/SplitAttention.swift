import Foundation
import LGTensor

/// ResNeSt's split attention (`SplAtConv2d` after its grouped convolution),
/// in eval mode: given u (N, R*C, H, W), the radix splits u_r = u[:, rC:(r+1)C],
///
///     g = mean_{H,W}(sum_r u_r)                       (N, C)
///     z = relu(bn1(fc1(g)))                           fc1: C -> I, `groups` groups, bias
///     a = fc2(z)                                      fc2: I -> R*C, `groups` groups, bias
///     att = rSoftMax(a)                               softmax over the radix (sigmoid when R = 1)
///     out = sum_r att_r * u_r                         (N, C, H, W)
///
/// rSoftMax views a as (N, groups, R, C/groups), moves the radix first and
/// normalises over it, so att_r[k*C/groups + j] comes from a[k*R*C/groups + r*C/groups + j].
///
/// Subnormal attention weights and outputs (below 2^-126 ~ 1.2e-38) are set to
/// zero, as a CPU's flush-to-zero mode would: a saturated softmax (logits 88
/// apart) makes them, and every later multiply that reads one takes a
/// microcode assist. On random weights (He-normal, BatchNorm identity) the
/// ResNeSt-200 forward ran 1.45x slower on one core than under the CPU's
/// flush-to-zero and denormals-are-zero modes (PyTorch's forward on its own
/// such weights makes 0.7 % of these outputs subnormal); flushed here, it
/// runs as fast as under those modes.
/// The change to any value is below 1.2e-38 absolute.
enum SplitAttention {
    static func apply(_ u: Tensor, radix r: Int, groups card: Int,
                      fc1: (weight: Tensor, bias: Tensor), bn1: ChannelEpilogue,
                      fc2: (weight: Tensor, bias: Tensor)) -> Tensor {
        let n = u.shape[0], rc = u.shape[1], h = u.shape[2], w = u.shape[3], p = h * w
        let c = rc / r, inner = fc1.weight.shape[0]
        let cg = c / card, ig = inner / card, ag = rc / card
        var att = [Float](repeating: 0, count: n * rc)
        u.data.withUnsafeBufferPointer { ub in
            for s in 0..<n {
                // g: the spatial mean of the summed splits.
                var g = [Float](repeating: 0, count: c)
                let us = ub.baseAddress! + s * rc * p
                // Summed in Double: a long Float sum's rounding, amplified through
                // the attention of dozens of blocks, is what a float32 port would lose.
                // Channels across cores (each channel's sum is its own: the same bits).
                let source = UncheckedSendable(us)
                g.withUnsafeMutableBufferPointer { gp in
                    let means = UncheckedSendable(gp.baseAddress!)
                    Parallel.forEach(c, minimum: max(1, SceneSegmenter.grain / max(1, r * p))) { channels in
                        for ch in channels {
                            // Eight Double partial sums (one serial Double sum
                            // waited on its adds: 13 ms of layer3's 224 at 256 px).
                            var lanes = SIMD8<Double>(repeating: 0), tail: Double = 0
                            var q = 0
                            while q + 8 <= p {
                                var v = SIMD8<Float>(repeating: 0)
                                for k in 0..<r {
                                    v += UnsafeRawPointer(source.value + (k * c + ch) * p + q).loadUnaligned(as: SIMD8<Float>.self)
                                }
                                lanes += SIMD8<Double>(v)
                                q += 8
                            }
                            while q < p {
                                var v: Float = 0
                                for k in 0..<r { v += source.value[(k * c + ch) * p + q] }
                                tail += Double(v)
                                q += 1
                            }
                            means.value[ch] = Float((lanes.sum() + tail) / Double(p))
                        }
                    }
                }
                // fc1 (grouped 1x1 conv with bias), bn1, ReLU.
                var z = [Float](repeating: 0, count: inner)
                for i in 0..<inner {
                    let k = i / ig
                    var v = fc1.bias.data[i]
                    for j in 0..<cg { v += fc1.weight.data[i * cg + j] * g[k * cg + j] }
                    z[i] = v
                }
                bn1.applyArray(&z)
                // fc2 (grouped 1x1 conv with bias).
                var a = [Float](repeating: 0, count: rc)
                for o in 0..<rc {
                    let k = o / ag
                    var v = fc2.bias.data[o]
                    for j in 0..<ig { v += fc2.weight.data[o * ig + j] * z[k * ig + j] }
                    a[o] = v
                }
                // rSoftMax.
                let sub = c / card
                for k in 0..<card {
                    for j in 0..<sub {
                        if r == 1 {
                            att[s * rc + k * sub + j] = 1 / (1 + Foundation.exp(-a[k * sub + j]))
                            continue
                        }
                        var m = -Float.infinity
                        for q in 0..<r { m = max(m, a[k * r * sub + q * sub + j]) }
                        var e = [Float](repeating: 0, count: r), total: Float = 0
                        for q in 0..<r { e[q] = Foundation.exp(a[k * r * sub + q * sub + j] - m); total += e[q] }
                        for q in 0..<r { att[s * rc + q * c + k * sub + j] = flushed(e[q] / total) }
                    }
                }
            }
        }
        return Tensor(shape: [n, c, h, w]) { out in
            let o = UncheckedSendable(out)
            u.data.withUnsafeBufferPointer { ub in
                let base = UncheckedSendable(ub.baseAddress!)
                Parallel.forEach(n * c, minimum: max(1, SceneSegmenter.grain / max(1, p))) { range in
                    for plane in range {
                        let s = plane / c, ch = plane % c
                        let dst = o.value + plane * p
                        let a0 = att[s * rc + ch], u0 = base.value + (s * rc + ch) * p
                        if r <= 1 {
                            for q in 0..<p { dst[q] = flushed(a0 * u0[q]) }
                            continue
                        }
                        for q in 0..<p { dst[q] = a0 * u0[q] }
                        // The last split's pass flushes too (one pass fewer).
                        for k in 1..<r {
                            let ak = att[s * rc + k * c + ch], uk = base.value + (s * rc + k * c + ch) * p
                            if k == r - 1 {
                                for q in 0..<p { dst[q] = flushed(dst[q] + ak * uk[q]) }
                            } else {
                                for q in 0..<p { dst[q] += ak * uk[q] }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// v, or zero when v is subnormal (|v| < 2^-126, as a CPU's flush-to-zero mode).
@inline(__always) func flushed(_ v: Float) -> Float {
    abs(v) < Float.leastNormalMagnitude ? 0 : v
}

extension ChannelEpilogue {
    /// Applies the map to a vector holding one value per channel.
    func applyArray(_ v: inout [Float]) {
        for c in 0..<v.count {
            let y = v[c] * scale[c] + shift[c]
            v[c] = relu ? max(y, 0) : y
        }
    }
}
