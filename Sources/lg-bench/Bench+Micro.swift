import Foundation
import LGTensor

extension Bench {
    /// Elementwise costs at DCGAN-64's largest activation (64 x 64 x 32 x 32).
    func micro() {
        var rng = SeededRandom(seed: 8)
        let x = Variable(rng.normalTensor([64, 64, 32, 32]))
        var rm = Tensor(zeros: [64]), rv = Tensor(repeating: 1, shape: [64])
        let w = Variable(Tensor(repeating: 1, shape: [64])), b = Variable(Tensor(zeros: [64]))
        let tb = time { _ = GradMode.withoutGradients { x.batchNorm(weight: w, bias: b, runningMean: &rm, runningVar: &rv, training: false) } }
        let tr = time { _ = GradMode.withoutGradients { x.relu() } }
        let tt = time { _ = GradMode.withoutGradients { x.tanh() } }
        let ta = time { _ = x.value.adding(x.value) }
        let tz = time { _ = [Float](repeating: 0, count: x.value.count) }
        print(String(format: "elementwise on 4.2M floats: batchNorm(eval) %.1f ms, relu %.1f ms, tanh %.1f ms, add %.1f ms, zeroed alloc %.1f ms",
                     tb * 1e3, tr * 1e3, tt * 1e3, ta * 1e3, tz * 1e3))
        // sgemm at the 1x1-convolution shapes of an NSE-1 head (C -> m -> m -> k,
        // m = (C + 17) / 2) at StyleGAN2-256's three largest resolutions.
        let peak = sgemmPeak()
        for (c, s) in [(512, 64), (256, 128), (128, 256)] {
            let m = (c + 17) / 2, px = s * s
            var parts: [String] = []
            for (name, mm, nn, kk) in [("fwd C->m", m, px, c), ("fwd m->m", m, px, m), ("fwd m->k", 17, px, m),
                                       ("dW C->m", m, c, px), ("dX m->m", m, px, m), ("dX m->k", m, px, 17)] {
                parts.append(String(format: "%@ %.0f%%", name, 100 * sgemm(m: mm, n: nn, k: kk) / peak))
            }
            print("NSE-1 head GEMMs at \(c) ch @ \(s) px, % of sgemm 1024^3: " + parts.joined(separator: ", "))
        }
        // The scene segmenter's GEMMs at 256 px (32 x 32 maps) and 64 px (8 x 8),
        // batch 1: layer3's and layer4's 1x1s and split-attention 3x3 (one group,
        // unfolded), and the backward products' transposes.
        var parts: [String] = []
        for (name, mm, nn, kk, ta, tb) in [("l3 conv1", 256, 1024, 1024, false, false), ("l3 conv2", 256, 1024, 1152, false, false),
                                           ("l3 conv3", 1024, 1024, 256, false, false), ("l4 conv2", 512, 1024, 2304, false, false),
                                           ("l3 conv1 @64", 256, 64, 1024, false, false), ("l4 conv2 @64", 512, 64, 2304, false, false),
                                           ("dW-like NT", 256, 1152, 1024, false, true), ("dX-like TN", 1152, 1024, 256, true, false)] {
            parts.append(String(format: "%@ %.0f%%", name, 100 * sgemm(m: mm, n: nn, k: kk, transA: ta, transB: tb) / peak))
        }
        print("scene segmenter GEMMs, % of sgemm 1024^3: " + parts.joined(separator: ", "))
    }
}
