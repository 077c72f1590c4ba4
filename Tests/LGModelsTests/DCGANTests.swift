import XCTest
import Foundation
import LGTensor
import LGModelIO
import LGModels

/// The real DCGAN face generator (PyPI gan-face-generate 1.1.1) against the
/// reference fixture. The weights come from the model cache
/// (scripts/fetch-models.sh); CI fetches them first, so under CI a missing
/// file fails instead of skipping.
final class DCGANTests: XCTestCase {
    func weightsPath() throws -> String {
        let path = ModelCache.path("dcgan_face64.tar")
        // Tests run from the package root; fall back to it explicitly.
        let candidates = [path, URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../cache/models/dcgan_face64.tar").standardized.path]
        if let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) { return found }
        if ProcessInfo.processInfo.environment["CI"] != nil {
            XCTFail("DCGAN weights missing at \(path): CI must run scripts/fetch-models.sh first")
        }
        throw XCTSkip("DCGAN weights not in the model cache; run scripts/fetch-models.sh")
    }

    func testReproducesReferenceImagesAndFeatures() throws {
        let g = try DCGAN(stateDict: try StateDict.loadTorch(try weightsPath(), key: "netG_state_dict"))
        XCTAssertEqual(g.latentDim, 100)
        XCTAssertEqual(g.featureChannels, [512, 256, 128, 64])
        let io = try TorchFile.load(Bundle.module.url(forResource: "dcgan_face64_io", withExtension: "pth", subdirectory: "Fixtures")!.path)
        let z = try XCTUnwrap(io["z"]?.tensor).floatTensor()
        let (image, feats) = GradMode.withoutGradients { g(Variable(z), features: true) }
        let refImage = try XCTUnwrap(io["image"]?.tensor).floatTensor()
        XCTAssertEqual(image.shape, refImage.shape)
        XCTAssertLessThanOrEqual(image.value.maxAbsDifference(refImage), 1e-4)
        let refFeats = try XCTUnwrap(io["features"]?.array)
        XCTAssertEqual(feats.count, refFeats.count)
        for (f, r) in zip(feats, refFeats) {
            let rt = try XCTUnwrap(r.tensor).floatTensor()
            XCTAssertEqual(f.shape, rt.shape)
            XCTAssertLessThanOrEqual(f.value.maxAbsDifference(rt), 1e-4, "feature \(rt.shape)")
        }
    }

    func testMissingWeightsNameThePathAndTheFix() {
        XCTAssertThrowsError(try StateDict.loadTorch("/nonexistent/dcgan.tar")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("/nonexistent/dcgan.tar"), text)
            XCTAssertTrue(text.contains("fetch-models"), text)
        }
    }

    func testWrongCheckpointGivesShapeError() {
        var sd: [String: Tensor] = [:]
        sd["main.0.weight"] = Tensor(zeros: [100, 512, 3, 3])
        XCTAssertThrowsError(try DCGAN(stateDict: StateDict(sd, source: "bad.pth"))) { error in
            XCTAssertTrue("\(error)".contains("main.0.weight"), "\(error)")
        }
    }

    func testGradientsFlowToTheLatent() throws {
        // Small random DCGAN: analytic d(sum(image * r))/dz against finite differences.
        var rng = SeededRandom(seed: 3)
        var sd: [String: Tensor] = [:]
        let ch = [6, 8, 6, 4, 4, 3]
        for (i, idx) in [0, 3, 6, 9, 12].enumerated() {
            sd["main.\(idx).weight"] = rng.normalTensor([ch[i], ch[i + 1], 4, 4], std: 0.3)
            if i < 4 {
                let c = ch[i + 1]
                sd["main.\(idx + 1).weight"] = rng.uniformTensor([c], low: 0.5, high: 1.5)
                sd["main.\(idx + 1).bias"] = rng.normalTensor([c], std: 0.1)
                sd["main.\(idx + 1).running_mean"] = rng.normalTensor([c], std: 0.1)
                sd["main.\(idx + 1).running_var"] = rng.uniformTensor([c], low: 0.5, high: 2)
            }
        }
        let g = try DCGAN(stateDict: StateDict(sd, source: "random"))
        let z0 = rng.normalTensor([1, 6, 1, 1])
        let r = rng.normalTensor([1, 3, 64, 64])
        let z = Variable(z0, requiresGrad: true)
        (g(z).image * Variable(r)).sum().backward()
        let grad = try XCTUnwrap(z.grad)
        func f(_ t: Tensor) -> Double {
            let img = GradMode.withoutGradients { g(Variable(t)).image.value }
            return zip(img.data, r.data).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        for i in 0..<6 {
            var p = z0, m = z0
            p.data[i] += 1e-3; m.data[i] -= 1e-3
            let fd = (f(p) - f(m)) / 2e-3
            // ReLU kinks make single elements noisy; the scale is the gradient's largest entry.
            XCTAssertEqual(Double(grad.data[i]), fd, accuracy: 2e-2 * Double(max(1, grad.maxAbs)))
        }
    }
}
