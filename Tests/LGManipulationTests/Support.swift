import Foundation
import XCTest
import LGTensor
import LGModelIO
import LGModels
import LGSemantics
@testable import LGManipulation

/// The fixture models (StyleGAN2 r32, face UNet r64) and a tiny LSE trained
/// on them, built once per test process.
enum Fixture {
    static func url(_ name: String) throws -> URL {
        let base = (name as NSString).deletingPathExtension, ext = (name as NSString).pathExtension
        guard let u = Bundle.module.url(forResource: base, withExtension: ext, subdirectory: "Fixtures") else {
            throw XCTSkip("fixture \(name) is not in the test bundle")
        }
        return u
    }

    static func generator() throws -> StyleGAN2Generator {
        let cfg = try StyleGANConfig.decode(Data(contentsOf: url("stylegan2_r32.json")), family: .stylegan2)
        return try StyleGAN2Generator(config: cfg, stateDict: StateDict.loadTorch(url("stylegan2_r32.weights.pth").path))
    }

    static func predictor() throws -> FaceParser {
        let cfg = try JSONDecoder().decode(FaceParserConfig.self, from: Data(contentsOf: url("face_unet_r64.json")))
        return try FaceParser(config: cfg, stateDict: StateDict.loadTorch(url("face_unet_r64.weights.pth").path))
    }

    struct Models {
        let g: StyleGAN2Generator
        let p: FaceParser
        let se: any SemanticExtractor
        let trainLoss: (first: Float, last: Float)
    }

    nonisolated(unsafe) private static var cached: Models?
    private static let lock = NSLock()

    /// The fixture StyleGAN2 with its mapping weights scaled by 700 and its
    /// style weights by 4. The fixture's PyTorch-style init leaves w almost
    /// constant (|w| ~ 3e-3 after the 0.01 lr multiplier), so images would
    /// not depend on z; rescaled, w is O(1) and the images and their labels
    /// vary with z, which latent optimisation needs.
    static func conditionedGenerator() throws -> StyleGAN2Generator {
        let g = try generator()
        for (k, v) in g.store.namedParameters {
            if k.hasPrefix("mapping.") && k.hasSuffix(".fc.weight") { g.store.set(k, v.value.scaled(700)) }
            if k.hasSuffix("style.fc.weight") { g.store.set(k, v.value.scaled(4)) }
        }
        return g
    }

    /// G (conditioned), P, and a tiny LSE trained for 30 Adam steps on 8
    /// generated samples. The fixture UNet labels every fixture image with
    /// one class, so the LSE learns the labels of a randomly initialised
    /// "teacher" LSE instead (a hand-made linear semantics of the features).
    static func models() throws -> Models {
        lock.lock(); defer { lock.unlock() }
        if let c = cached { return c }
        let g = try conditionedGenerator(), p = try predictor()
        let arch = ExtractorArch(type: .lse, nClass: p.nClasses, dims: g.featureChannels)
        var teacherInit = SeededRandom(seed: 9)
        let teacher = try makeSemanticExtractor(arch, rng: &teacherInit)
        var rng = SeededRandom(seed: 11)
        let z = rng.normalTensor([8, g.zDim])
        let features = g.generate(g.latent(fromZ: Variable(z), strategy: .notruncWP).value).features
        let labels = try teacher.predict(features, size: 32)
        var studentInit = SeededRandom(seed: 3)
        let se = try makeSemanticExtractor(arch, rng: &studentInit)
        let opt = makeOptimizer(for: se, learningRate: 0.05, layerWeightLRScale: 1)
        var first: Float = 0, last: Float = 0
        for s in 0..<30 {
            opt.zeroGrad()
            let (loss, _) = try se.trainingLoss(features: features, labels: labels, kind: .normal)
            loss.backward()
            opt.step()
            if s == 0 { first = loss.value.scalar }
            last = loss.value.scalar
        }
        let m = Models(g: g, p: p, se: se, trainLoss: (first, last))
        cached = m
        return m
    }

    /// The extractor's labels (1, 32, 32) of G(z) for z drawn with `seed`: a reachable SCS target.
    static func extractorTarget(_ m: Models, seed: UInt64) throws -> Labels {
        var rng = SeededRandom(seed: seed)
        let z = rng.normalTensor([1, m.g.zDim])
        let f = m.g.generate(m.g.latent(fromZ: Variable(z), strategy: .notruncWP).value).features
        return try m.se.predict(f, size: 32)
    }

    static func tempDir(_ tag: String) throws -> URL {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("lgmanip-\(tag)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }

    /// Predictor labels (1, 32, 32) of the image from a seeded truncated latent.
    static func predictorTarget(_ m: Models, seed: UInt64) -> Labels {
        var rng = SeededRandom(seed: seed)
        let z = rng.normalTensor([1, m.g.zDim])
        let image = m.g.generate(m.g.latent(fromZ: Variable(z), strategy: .truncWP).value, features: false).image
        return m.p.labels(image: image, labelResolution: 32)
    }

    /// Class histogram, for messages.
    static func histogram(_ l: Labels, _ n: Int) -> [Int] {
        var h = [Int](repeating: 0, count: n)
        for v in l.data { h[Int(v)] += 1 }
        return h
    }
}
