import Foundation
import LGTensor
import LGGANTraining
import LGModels

/// Random images of the right shape: the benchmark times the trainer, not a renderer.
private struct NoiseImages: TrainingImageSource {
    let resolution: Int
    func batch(size: Int, rng: inout SeededRandom) -> Tensor {
        rng.normalTensor([size, 3, resolution, resolution], std: 0.5)
    }
}

extension Bench {
    /// One training step (D and G updates, with the lazy R1 step amortised)
    /// of each family at the embedded zoo's size: the `train_zoo` full
    /// preset (32 px, fmaps_max 64, latent 128, batch 16). Multiply by the
    /// preset's 10,000 steps for a generator's training time.
    func ganSteps() {
        for family in [GeneratorFamily.pggan, .stylegan, .stylegan2] {
            let config = GANTrainingConfig.small(family: family, resolution: 32, fmapsMax: 64, latentDim: 128,
                                                 mappingLayers: 4, batchSize: 16, seed: 1)
            guard let trainer = try? GANTrainer(config: config, source: NoiseImages(resolution: 32)) else {
                print("\(family) trainer failed to build"); continue
            }
            // Whole R1 intervals, so the lazy regularisation is counted once per interval.
            let steps = max(1, config.r1Interval) * (quick ? 1 : 2)
            _ = trainer.step()
            let t0 = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<steps { _ = trainer.step() }
            let t = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9 / Double(steps)
            print(String(format: "train_gan step, %@ 32 px, fmaps 64, batch 16: %.0f ms (10,000 steps: %.1f h)",
                         "\(family)".padding(toLength: 9, withPad: " ", startingAt: 0), t * 1e3, t * 10_000 / 3600))
        }
    }
}
