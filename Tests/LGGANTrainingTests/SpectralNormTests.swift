import XCTest
@testable import LGGANTraining
import LGModels
import LGTensor

final class SpectralNormTests: XCTestCase {
    func testNormalizedWeightHasUnitSpectralNorm() {
        var rng = SeededRandom(seed: 7)
        let w = rng.normalTensor([16, 8, 3, 3], std: 3)
        var u = Tensor(shape: [16], data: SpectralNorm.normalized(rng.normalTensor([16]).data))
        u = SpectralNorm.powerIteration(weight: w, u: u, iterations: 30)
        let wsn = SpectralNorm.normalize(Variable(w), u: u).value
        XCTAssertEqual(SpectralNorm.largestSingularValue(wsn), 1, accuracy: 1e-3)
        XCTAssertGreaterThan(SpectralNorm.largestSingularValue(w), 5)
    }

    func testSigmaGradientMatchesFiniteDifferences() {
        var rng = SeededRandom(seed: 8)
        let w = rng.normalTensor([4, 3])
        let u = Tensor(shape: [4], data: SpectralNorm.normalized(rng.normalTensor([4]).data))
        let r = rng.normalTensor([4, 3])
        let wv = Variable(w, requiresGrad: true)
        (SpectralNorm.normalize(wv, u: u) * Variable(r)).sum().backward()
        // The analytic gradient treats u and v as constants (v from the unperturbed W).
        let v = SpectralNorm.normalized(SpectralNorm.transposedProduct(w, u.data))
        func objective(_ x: Tensor) -> Double {
            var sigma: Double = 0
            for i in 0..<4 { for j in 0..<3 { sigma += Double(u.data[i]) * Double(x.data[i * 3 + j]) * Double(v[j]) } }
            var s: Double = 0
            for i in 0..<12 { s += Double(x.data[i]) / sigma * Double(r.data[i]) }
            return s
        }
        for i in 0..<12 {
            var p = w, m = w
            p.data[i] += 1e-2; m.data[i] -= 1e-2
            let fd = (objective(p) - objective(m)) / 2e-2
            XCTAssertEqual(Double(wv.grad!.data[i]), fd, accuracy: 2e-2 * max(1, abs(fd)))
        }
    }

    func testTrainingKeepsSigmaNearOne() throws {
        let t = try GANTrainer(config: tinyConfig(.stylegan2, resolution: 8), source: PaletteSquareSource(resolution: 8))
        for _ in 0..<30 { t.step() }
        // After power iteration has converged, every normalised weight has spectral norm ~1.
        for (k, _) in t.discriminator.store.declaredShapes where k.hasSuffix(".weight_u") {
            let wk = String(k.dropLast(2))
            let w = t.discriminator.store[wk].value
            let wsn = SpectralNorm.normalize(Variable(w), u: t.discriminator.store[k].value).value
            XCTAssertEqual(SpectralNorm.largestSingularValue(wsn), 1, accuracy: 0.1, k)
        }
    }
}
