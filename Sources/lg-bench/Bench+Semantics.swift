import Foundation
import LGTensor
import LGSemantics

extension Bench {
    /// One training step (forward, loss, backward, Adam) of each extractor on
    /// StyleGAN2-256-shaped features: 13 maps, 17 classes, labels at 256 px, batch 1.
    func semantics(only: Set<String> = []) {
        let shapes: [(Int, Int)] = [(512, 4), (512, 8), (512, 8), (512, 16), (512, 16), (512, 32), (512, 32),
                                    (512, 64), (512, 64), (256, 128), (256, 128), (128, 256), (128, 256)]
        var rng = SeededRandom(seed: 6)
        let feats = shapes.map { rng.normalTensor([1, $0.0, $0.1, $0.1]) }
        let labels = Labels(shape: [1, 256, 256], data: (0..<(256 * 256)).map { _ in Int32(rng.int(in: 0..<17)) })
        let reference: [ExtractorType: Double] = [.lse: torch.lseStep, .nse1: torch.nse1Step, .nse2: torch.nse2Step]
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
            print(String(format: "%@ training step (StyleGAN2-256 features, 17 classes, 256 px): %.0f ms; %@: %.0f ms -> %.2fx its time",
                         type.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0), t * 1e3, torch.source, ref * 1e3, t / ref))
        }
    }
}
