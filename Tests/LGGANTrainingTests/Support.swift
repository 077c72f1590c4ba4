import Foundation
import XCTest
import LGGANTraining
import LGModels
import LGTensor

/// A trivial seeded domain: a solid background colour from a small palette
/// with a bright square of side resolution/4 at a random position.
struct PaletteSquareSource: TrainingImageSource {
    let resolution: Int
    /// Warm colours: the data's channel means (about 0.6, -0.2, -0.6) are far
    /// from an untrained generator's (about 0).
    static let palette: [[Float]] = [[0.8, -0.6, -0.6], [0.7, 0.3, -0.8], [0.5, -0.3, -0.2], [0.3, -0.5, -0.9]]

    func batch(size: Int, rng: inout SeededRandom) -> Tensor {
        let r = resolution, side = max(1, r / 4)
        var t = Tensor(zeros: [size, 3, r, r])
        for n in 0..<size {
            let colour = PaletteSquareSource.palette[rng.int(in: 0..<PaletteSquareSource.palette.count)]
            let y0 = rng.int(in: 0..<(r - side + 1)), x0 = rng.int(in: 0..<(r - side + 1))
            for c in 0..<3 {
                for y in 0..<r {
                    for x in 0..<r {
                        let inSquare = (y0..<(y0 + side)).contains(y) && (x0..<(x0 + side)).contains(x)
                        t.data[((n * 3 + c) * r + y) * r + x] = inSquare ? 0.95 : colour[c]
                    }
                }
            }
        }
        return t
    }
}

/// Per-channel mean and standard deviation of (N, 3, H, W) images.
func channelStats(_ images: Tensor) -> (mean: [Float], std: [Float]) {
    let n = images.shape[0], c = images.shape[1], p = images.shape[2] * images.shape[3]
    var mean = [Float](repeating: 0, count: c), std = [Float](repeating: 0, count: c)
    for ch in 0..<c {
        var s: Double = 0, ss: Double = 0
        for i in 0..<n {
            for q in 0..<p { let v = Double(images.data[(i * c + ch) * p + q]); s += v; ss += v * v }
        }
        let m = s / Double(n * p)
        mean[ch] = Float(m)
        std[ch] = Float(max(0, ss / Double(n * p) - m * m).squareRoot())
    }
    return (mean, std)
}

/// A tiny run of `family` at `resolution` px (8 channels at most).
func tinyConfig(_ family: GeneratorFamily, resolution: Int = 8, fmapsMax: Int = 8, batch: Int = 4,
                seed: UInt64 = 1) -> GANTrainingConfig {
    var c = GANTrainingConfig.small(family: family, resolution: resolution, fmapsMax: fmapsMax,
                                    latentDim: 8, mappingLayers: 2, batchSize: batch, seed: seed)
    c.sampleCount = 4
    c.r1Interval = 2      // both D-step variants (with and without the penalty) run in a few steps
    return c
}

func temporaryDirectory(_ name: String) -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("lg-gan-tests-\(name)-\(ProcessInfo.processInfo.processIdentifier)")
    try? FileManager.default.removeItem(at: url)
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
