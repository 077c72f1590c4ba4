import LGTensor

/// Where a GAN's real images come from. Batches are N x 3 x H x W in [-1, 1];
/// the source draws them from `rng` so that a run is reproducible and a
/// resumed run (which restores `rng`) continues the same stream.
public protocol TrainingImageSource {
    var resolution: Int { get }
    func batch(size: Int, rng: inout SeededRandom) -> Tensor
}
