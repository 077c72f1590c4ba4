import XCTest
import LGGANTraining
import LGTensor

final class ImageSourceTests: XCTestCase {
    struct Noise: TrainingImageSource {
        let resolution = 4
        func batch(size: Int, rng: inout SeededRandom) -> Tensor { rng.uniformTensor([size, 3, 4, 4], low: -1, high: 1) }
    }
    func testSourceIsReproducible() {
        var a = SeededRandom(seed: 1), b = SeededRandom(seed: 1)
        XCTAssertEqual(Noise().batch(size: 2, rng: &a).data, Noise().batch(size: 2, rng: &b).data)
    }
}
