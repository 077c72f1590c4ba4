import Foundation
import LGTensor
import LGModels

/// Which generator to train: one of the LGModels generators with its genforce
/// config, so the trained weights load through `PGGANGenerator(config:stateDict:)`,
/// `StyleGANGenerator(...)` or `StyleGAN2Generator(...)` unchanged.
public enum GeneratorSpec: Sendable, Equatable {
    case pggan(PGGANConfig)
    /// StyleGAN or StyleGAN2 (the config's `family`).
    case style(StyleGANConfig)

    public var family: GeneratorFamily {
        switch self {
        case .pggan: return .pggan
        case let .style(c): return c.family == .stylegan ? .stylegan : .stylegan2
        }
    }

    public var resolution: Int {
        switch self {
        case let .pggan(c): return c.resolution
        case let .style(c): return c.resolution
        }
    }

    public var zDim: Int {
        switch self {
        case let .pggan(c): return c.zSpaceDim
        case let .style(c): return c.zSpaceDim
        }
    }

    /// The config as genforce constructor arguments (JSON object, sorted keys;
    /// an absent truncation is written as null, as the loaders expect).
    public func configJSON() throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        switch self {
        case let .pggan(c):
            return try enc.encode(c)
        case let .style(c):
            var obj = try JSONSerialization.jsonObject(with: enc.encode(c)) as? [String: Any] ?? [:]
            if c.truncationPsi == nil { obj["truncation_psi"] = NSNull() }
            if c.truncationLayers == nil { obj["truncation_layers"] = NSNull() }
            return try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])
        }
    }

    /// Decodes `configJSON()` output for `family`.
    public static func decode(family: GeneratorFamily, configJSON data: Data) throws -> GeneratorSpec {
        switch family {
        case .pggan: return .pggan(try JSONDecoder().decode(PGGANConfig.self, from: data))
        case .stylegan: return .style(try StyleGANConfig.decode(data, family: .stylegan))
        case .stylegan2: return .style(try StyleGANConfig.decode(data, family: .stylegan2))
        }
    }

    /// The same spec with StyleGAN noise drawn per sample (`true`, for
    /// training) or taken from the fixed noise buffers (`false`).
    public func withRandomizedNoise(_ on: Bool) -> GeneratorSpec {
        guard case var .style(c) = self else { return self }
        c.randomizeNoise = on
        return .style(c)
    }

    /// An unloaded generator (zero weights).
    public func makeGenerator() throws -> any Generator {
        switch self {
        case let .pggan(c): return try PGGANGenerator(config: c)
        case let .style(c):
            return c.family == .stylegan ? try StyleGANGenerator(config: c) : try StyleGAN2Generator(config: c)
        }
    }

    func validate() throws {
        if case let .style(c) = self, !c.repeatW {
            throw GANTrainingError.invalidConfig("repeat_w false is not supported for training (w_avg tracking needs one w per sample)")
        }
        _ = try makeGenerator()
    }
}

/// Training-time treatment of the LGModels generators.
enum GeneratorTraining {
    /// genforce's initialisation: weights N(0, 1) (mapping weights
    /// N(0, 1 / lr_multiplier^2), StyleGAN's constant input ones), biases,
    /// noise strengths and styles' biases 0, noise buffers N(0, 1), w_avg and lod 0.
    static func initialize(_ g: any Generator, seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        let params = Set(g.store.namedParameters.map(\.0))
        for (key, _) in g.store.declaredShapes {
            let shape = g.store[key].shape
            let value: Tensor
            if params.contains(key) {
                if shape.count >= 2 {
                    if g is StyleGANGenerator && key == "synthesis.layer0.const" {
                        value = Tensor(repeating: 1, shape: shape)
                    } else {
                        let std: Float = key.hasPrefix("mapping.") && key.hasSuffix(".fc.weight") ? 100 : 1
                        value = rng.normalTensor(shape, std: std)
                    }
                } else {
                    value = Tensor(zeros: shape)
                }
            } else if key.hasSuffix("noise") && shape.count == 4 {
                value = rng.normalTensor(shape)
            } else {
                value = Tensor(zeros: shape)
            }
            g.store.set(key, value)
        }
    }

    /// Images for z (N, zDim) without truncation, and w (N, wDim) for the
    /// StyleGAN family (for the w_avg statistic).
    static func forward(_ g: any Generator, z: Variable) -> (image: Variable, w: Tensor?) {
        if let sg = g as? any StyleGenerator {
            let w = sg.mapping(z)
            return (sg.synthesis(sg.broadcastW(w), features: false).image, w.value)
        }
        return (g.synthesize(g.latent(fromZ: z, strategy: .notruncWP), features: false).image, nil)
    }

    /// genforce's w_avg tracking: w_avg = lerp(batch mean of w, w_avg, decay).
    static func updateWAverage(_ g: any Generator, w: Tensor, decay: Float = 0.995) {
        let key = "truncation.w_avg"
        guard g.store.contains(key) else { return }
        let n = w.shape[0]
        let mean = w.sum(axes: [0]).scaled(1 / Float(n))
        let old = g.store[key].value
        g.store.set(key, mean.adding(old.subtracting(mean).scaled(decay)))
    }
}
