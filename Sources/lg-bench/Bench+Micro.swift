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
    }
}
