import Foundation
import LGTensor
import LGSemantics

extension Bench {
    /// One training step (forward, loss, backward, Adam) of each extractor on
    /// StyleGAN2-256-shaped features: 13 maps, 17 classes, labels at 256 px, batch 1.
    func semantics(only: Set<String> = [], peak: Double? = nil) {
        let shapes: [(Int, Int)] = [(512, 4), (512, 8), (512, 8), (512, 16), (512, 16), (512, 32), (512, 32),
                                    (512, 64), (512, 64), (256, 128), (256, 128), (128, 256), (128, 256)]
        var rng = SeededRandom(seed: 6)
        let feats = shapes.map { rng.normalTensor([1, $0.0, $0.1, $0.1]) }
        let labels = Labels(shape: [1, 256, 256], data: (0..<(256 * 256)).map { _ in Int32(rng.int(in: 0..<17)) })
        let reference: [ExtractorType: Double] = [.lse: torch.lseStep, .nse1: torch.nse1Step, .nse2: torch.nse2Step]
        let referenceKey: [ExtractorType: String] = [.lse: "lse_step_ms", .nse1: "nse1_step_ms", .nse2: "nse2_step_ms"]
        for type in [ExtractorType.lse, .nse1, .nse2] where only.isEmpty || only.contains(type.rawValue) {
            let arch = ExtractorArch(type: type, nClass: 17, dims: shapes.map(\.0))
            guard let se = try? makeSemanticExtractor(arch, rng: &rng) else { print("\(type) build failed"); continue }
            let opt = makeOptimizer(for: se)
            let t = time {
                opt.zeroGrad()
                guard let (loss, _) = try? se.trainingLoss(features: feats, labels: labels, kind: .normal) else { return }
                loss.backward()
                opt.step()
            }
            let ref = reference[type]!
            let flops = Bench.stepFlops(type, shapes: shapes, classes: 17, labelSize: 256)
            var rate = String(format: " (%.1f GFLOP, %.0f GFLOPS", flops / 1e9, flops / t / 1e9)
            if let peak { rate += String(format: ", %.0f%% of sgemm", 100 * flops / t / 1e9 / peak) }
            rate += ")"
            print(String(format: "%@ training step (StyleGAN2-256 features, 17 classes, 256 px): %.0f ms%@; %@: %.0f ms -> %.2fx its time",
                         type.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0), t * 1e3, rate, torch.describe(referenceKey[type]!),
                         ref * 1e3, t / ref))
        }
    }

    /// Multiply-adds (x2) of one training step's convolutions by the direct
    /// method: the forward, every weight gradient, and the input gradients
    /// of hidden activations (features need none). Resizing, losses and
    /// Adam are not counted.
    static func stepFlops(_ type: ExtractorType, shapes: [(Int, Int)], classes k: Int, labelSize: Int) -> Double {
        var total = 0.0
        switch type {
        case .lse:
            // One 1x1 conv per layer, C -> k: forward and weight gradient.
            for (c, s) in shapes { total += 2 * 2 * Double(c * k * s * s) }
        case .nse1:
            // C -> m -> m -> k 1x1 convs, m = (C + k) / 2; the second and
            // third also pass gradients to their inputs.
            for (c, s) in shapes {
                let m = (c + k) / 2, px = Double(s * s)
                let f1 = 2 * Double(c * m) * px, f2 = 2 * Double(m * m) * px, f3 = 2 * Double(m * k) * px
                total += 2 * f1 + 3 * f2 + 3 * f3
            }
        case .nse2:
            // 3x3 convs: extractor i (C_i -> C_i, forward + weight gradient),
            // reviser i (C_{i-1} -> C_i at layer i's size, + input gradient),
            // visualizer (C_last -> k, + input gradient).
            for (i, (c, s)) in shapes.enumerated() {
                let px = Double(s * s)
                total += 2 * (2 * 9 * Double(c * c) * px)
                if i > 0 { total += 3 * (2 * 9 * Double(shapes[i - 1].0 * c) * px) }
            }
            let last = shapes[shapes.count - 1]
            total += 3 * (2 * 9 * Double(last.0 * k) * Double(last.1 * last.1))
        }
        return total
    }
}
