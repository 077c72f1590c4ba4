import Foundation
import LGTensor

extension Bench {
    /// 3x3 convolutions at the StyleGAN2-256 shapes with im2col and with
    /// Winograd F(2x2, 3x3) (policy `always`: the backward rows use it for the
    /// input gradient), in one run. GFLOPS count the direct method's
    /// multiply-adds for both, so the Winograd rows can pass sgemm's figure.
    func winogradRows() -> [Row] {
        var rows: [Row] = []
        var rng = SeededRandom(seed: 2)
        let shapes: [(Int, Int)] = quick ? [(512, 32), (128, 256)] : [(512, 8), (512, 16), (512, 32), (512, 64), (256, 128), (128, 256)]
        let saved = Winograd.policy
        defer { Winograd.policy = saved }
        for (c, r) in shapes {
            let x = rng.normalTensor([1, c, r, r]), w = rng.normalTensor([c, c, 3, 3]), gy = rng.normalTensor([1, c, r, r])
            let o = Conv2DOptions(padding: 1)
            let flops = 2.0 * Double(c * c * 9) * Double(r * r)
            let g = sgemm(m: c, n: r * r, k: c * 9)
            for (name, on) in [("im2col", false), ("winograd", true)] {
                Winograd.policy = on ? .always : .off
                let tf = time { _ = x.conv2d(w, o) }
                rows.append(Row(name: "conv2d fwd \(name)", shape: "\(c)->\(c) 3x3 @\(r)", seconds: tf, flops: flops, sgemmAtShape: g))
                let tb = time { _ = x.conv2dBackward(w, gy, o) }
                rows.append(Row(name: "conv2d bwd input+weight \(name)", shape: "\(c)->\(c) 3x3 @\(r)", seconds: tb, flops: 2 * flops, sgemmAtShape: g))
            }
        }
        return rows
    }
}
