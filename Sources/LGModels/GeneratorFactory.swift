import Foundation

/// The generator families and how to build one from a config or a model name.
public enum GeneratorFamily: String, Codable, Sendable, CaseIterable {
    case pggan, stylegan, stylegan2

    /// The family a model name such as "stylegan2_ffhq" belongs to.
    public init?(modelName: String) {
        let prefix = modelName.split(separator: "_").first.map(String.init) ?? modelName
        self.init(rawValue: prefix)
    }

    /// Builds an unloaded generator from a JSON object of the reference
    /// constructor's arguments (`resolution`, `z_space_dim`, ...).
    public func makeGenerator(configJSON data: Data) throws -> any Generator {
        switch self {
        case .pggan:
            return try PGGANGenerator(config: JSONDecoder().decode(PGGANConfig.self, from: data))
        case .stylegan:
            return try StyleGANGenerator(config: StyleGANConfig.decode(data, family: .stylegan))
        case .stylegan2:
            return try StyleGAN2Generator(config: StyleGANConfig.decode(data, family: .stylegan2))
        }
    }

    /// Builds an unloaded generator with the reference defaults at `resolution`.
    public func makeGenerator(resolution: Int) throws -> any Generator {
        switch self {
        case .pggan: return try PGGANGenerator(config: PGGANConfig(resolution: resolution))
        case .stylegan: return try StyleGANGenerator(config: StyleGANConfig(family: .stylegan, resolution: resolution))
        case .stylegan2: return try StyleGAN2Generator(config: StyleGANConfig(family: .stylegan2, resolution: resolution))
        }
    }
}

/// The generators of the paper with their output resolutions (genforce's
/// `models/model_settings.py`; everything else takes the constructor defaults).
public enum PaperGenerators {
    public static let resolutions: [String: Int] = [
        "stylegan2_ffhq": 1024, "stylegan2_bedroom": 256, "stylegan2_church": 256,
        "stylegan_celebahq": 1024, "stylegan_bedroom": 256, "stylegan_church": 256,
        "pggan_celebahq": 1024, "pggan_bedroom": 256, "pggan_church": 256,
    ]

    /// The unloaded generator for a model name such as "stylegan2_church".
    public static func make(_ name: String) throws -> any Generator {
        guard let family = GeneratorFamily(modelName: name), let res = resolutions[name] else {
            throw ModelError.invalidConfig("unknown generator '\(name)'; known: \(resolutions.keys.sorted().joined(separator: ", "))")
        }
        return try family.makeGenerator(resolution: res)
    }
}
