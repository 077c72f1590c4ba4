import Foundation
import LGTensor

extension Bench {
    /// 3x3 convolutions at the StyleGAN2-256 shapes (and the few-channel
    /// 512- and 1024-px layers of the 1024-px generators) with im2col and with
    /// Winograd F(2x2, 3x3) (policy `always`: the backward rows use it for the
    /// input gradient), in one run. GFLOPS count the direct method's
    /// multiply-adds for both, so the Winograd rows can pass sgemm's figure.
    func winogradRows() -> [Row] {
        var rows: [Row] = []
        var rng = SeededRandom(seed: 2)
        // (in, out, size); the few-channel 1024-px ones are PGGAN's top
        // layer (16) and the NSE-2 head on it (32 -> 16 reviser, 16 -> 15
        // classes visualizer), below Winograd's channel line.
        let shapes: [(Int, Int, Int)] = quick ? [(512, 512, 32), (128, 128, 256)]
            : [(512, 512, 8), (512, 512, 16), (512, 512, 32), (512, 512, 64), (256, 256, 128), (128, 128, 256), (32, 32, 512),
               (16, 16, 1024), (32, 16, 1024), (16, 15, 1024), (8, 8, 1024)]
        let saved = (Winograd.policy, Winograd.minimumChannels)
        defer { (Winograd.policy, Winograd.minimumChannels) = saved }
        Winograd.minimumChannels = 1
        for (cin, cout, r) in shapes {
            let x = rng.normalTensor([1, cin, r, r]), w = rng.normalTensor([cout, cin, 3, 3]), gy = rng.normalTensor([1, cout, r, r])
            let o = Conv2DOptions(padding: 1)
            let flops = 2.0 * Double(cout * cin * 9) * Double(r * r)
            let g = sgemm(m: cout, n: r * r, k: cin * 9)
            for (name, on) in [("im2col", false), ("winograd", true)] {
                Winograd.policy = on ? .always : .off
                let tf = time { _ = x.conv2d(w, o) }
                rows.append(Row(name: "conv2d fwd \(name)", shape: "\(cin)->\(cout) 3x3 @\(r)", seconds: tf, flops: flops, sgemmAtShape: g))
                let tb = time { _ = x.conv2dBackward(w, gy, o) }
                rows.append(Row(name: "conv2d bwd input+weight \(name)", shape: "\(cin)->\(cout) 3x3 @\(r)", seconds: tb, flops: 2 * flops, sgemmAtShape: g))
            }
        }
        return rows
    }
}

extension Bench {
    /// DCGAN-64's 4x4 stride-2 transposed convolutions (batch 64) and its
    /// whole forward pass, direct (im2col GEMM + col2im) against Winograd
    /// F(2x2, 2x2) per output phase, alternating three times in one run; each
    /// figure is the best of its three medians, so that a noisy neighbour
    /// does not decide the ratio.
    func winogradTransposed() {
        var rng = SeededRandom(seed: 4)
        let saved = Winograd.policy
        defer { Winograd.policy = saved }
        func compare(_ label: String, flops: Double, _ body: () -> Void) {
            var best = [Double.infinity, .infinity]
            for _ in 0..<(quick ? 1 : 3) {
                for (i, policy) in [Winograd.Policy.off, .inference].enumerated() {
                    Winograd.policy = policy
                    best[i] = min(best[i], time(body))
                }
            }
            print(String(format: "%-44@ direct %7.2f ms (%5.1f GFLOPS)  winograd %7.2f ms (%5.1f GFLOPS)  %.2fx",
                         label as NSString, best[0] * 1e3, flops / best[0] / 1e9, best[1] * 1e3, flops / best[1] / 1e9,
                         best[0] / best[1]))
        }
        for (cin, cout, r) in [(512, 256, 4), (256, 128, 8), (128, 64, 16)] {
            let x = rng.normalTensor([64, cin, r, r]), w = rng.normalTensor([cin, cout, 4, 4], std: 0.02)
            let flops = 2.0 * 64 * Double(cin * cout * 16 * r * r)
            compare("conv_transpose2d fwd \(cin)->\(cout) 4x4 s2 @\(r), N=64", flops: flops) {
                _ = x.convTranspose2d(w, .init(stride: 2, padding: 1))
            }
        }
        let (g, z, flops) = dcganModel()
        compare("DCGAN-64 forward, batch 64, with features", flops: flops) {
            _ = GradMode.withoutGradients { g(z, features: true) }
        }
    }
}
