import Foundation
import LGTensor

extension Bench {
    /// Repeats one kernel for a profiler (`perf record lg-bench --profile SPEC`):
    ///   conv:C,R          3x3 conv2d forward, padding 1, C -> C at R x R, batch 1
    ///   conv-bwd:C,R      its backward (input and weight)
    ///   tconv:CIN,COUT,R  DCGAN's 4x4 stride-2 transposed conv forward, batch 64
    ///   dconv:CIN,COUT,R  the DCGAN discriminator's 4x4 stride-2 padding-1 conv forward, batch 64, R x R input
    func profile(_ spec: String) {
        let parts = spec.split(separator: ":", maxSplits: 1)
        let nums = parts.count == 2 ? parts[1].split(separator: ",").compactMap { Int($0) } : []
        var rng = SeededRandom(seed: 12)
        let seconds: Double
        switch (parts.first.map(String.init), nums.count) {
        case ("conv", 2):
            let (c, r) = (nums[0], nums[1])
            let x = rng.normalTensor([1, c, r, r]), w = rng.normalTensor([c, c, 3, 3])
            seconds = time { _ = x.conv2d(w, .init(padding: 1)) }
        case ("conv-bwd", 2):
            let (c, r) = (nums[0], nums[1])
            let x = rng.normalTensor([1, c, r, r]), w = rng.normalTensor([c, c, 3, 3]), gy = rng.normalTensor([1, c, r, r])
            seconds = time { _ = x.conv2dBackward(w, gy, .init(padding: 1)) }
        case ("tconv", 3):
            let (cin, cout, r) = (nums[0], nums[1], nums[2])
            let x = rng.normalTensor([64, cin, r, r]), w = rng.normalTensor([cin, cout, 4, 4])
            seconds = time { _ = x.convTranspose2d(w, .init(stride: 2, padding: 1)) }
        case ("dconv", 3):
            let (cin, cout, r) = (nums[0], nums[1], nums[2])
            let x = rng.normalTensor([64, cin, r, r]), w = rng.normalTensor([cout, cin, 4, 4])
            // Against the strided-gather im2col in the same run (best of three alternating medians).
            var best = [Double.infinity, .infinity]
            for _ in 0..<3 {
                for (i, split) in [false, true].enumerated() {
                    ConvGeometry.deinterleaveStride2 = split
                    best[i] = min(best[i], time { _ = x.conv2d(w, .init(stride: 2, padding: 1)) })
                }
            }
            print(String(format: "%@: strided gather %.2f ms, even/odd split %.2f ms (%.2fx)", spec, best[0] * 1e3, best[1] * 1e3, best[0] / best[1]))
            seconds = best[1]
        default:
            print("--profile wants conv:C,R | conv-bwd:C,R | tconv:CIN,COUT,R | dconv:CIN,COUT,R"); return
        }
        print(String(format: "%@: %.2f ms (median)", spec, seconds * 1e3))
    }
}
