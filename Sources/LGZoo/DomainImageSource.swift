import LGDomains
import LGGANTraining
import LGTensor

/// Real images for GAN training: renders of a domain from seeds drawn from
/// the trainer's random stream (so a resumed run continues the same stream).
public struct DomainImageSource: TrainingImageSource {
    public let domain: any RenderedDomain
    public let resolution: Int

    public init(domain: any RenderedDomain, resolution: Int) {
        self.domain = domain
        self.resolution = resolution
    }

    public func batch(size: Int, rng: inout SeededRandom) -> Tensor {
        domain.batch(resolution: resolution, seeds: DomainSeeds.training(size, rng: &rng)).images
    }
}

/// Seeds of renders. Training draws below 2^62; held-out evaluation uses
/// seeds from 2^62 up, so no evaluation image is ever trained on.
public enum DomainSeeds {
    public static let heldOutBase: UInt64 = 1 << 62

    public static func training(_ n: Int, rng: inout SeededRandom) -> [UInt64] {
        (0..<n).map { _ in rng.next() & (heldOutBase - 1) }
    }

    public static func heldOut(_ n: Int, offset: Int = 0) -> [UInt64] {
        (0..<n).map { heldOutBase + UInt64(offset + $0) }
    }
}
