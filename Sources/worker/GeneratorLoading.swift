import ArgumentParser
import Foundation
import LGModels
import LGJobs
import LGManipulation

/// How commands get a generator: a registered name (`worker models`), or an
/// architecture with a JSON config (the reference constructor's arguments)
/// and a checkpoint. The DCGAN needs no config; its weights default to the
/// model cache.
enum GeneratorLoading {
    static func load(name: String?, arch: String?, config: String?, weights: String?,
                     registry: () throws -> ModelRegistry) throws -> any Generator {
        if let name { return try registry().loadGenerator(name, weights: weights) }
        guard let arch else { throw ValidationError("give a registered generator name or an architecture") }
        if arch == "dcgan" {
            let sd = try StateDict.loadTorch(weights ?? ModelCache.path("dcgan_face64.tar"), key: "netG_state_dict")
            return try DCGANGenerator(stateDict: sd)
        }
        guard let family = GeneratorFamily(rawValue: arch) else {
            throw ValidationError("unknown architecture '\(arch)'; known: dcgan, \(GeneratorFamily.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let config, let weights else {
            throw ValidationError("architecture \(arch) needs a JSON config and a checkpoint (--weights)")
        }
        let g = try family.makeGenerator(configJSON: Data(contentsOf: URL(fileURLWithPath: config)))
        try g.load(StateDict.loadTorch(weights))
        return g
    }
}

extension GeneratorLoading {
    /// A predictor: a face-UNet JSON config with its weights, a registered
    /// name, or (neither given) the generator's registered predictor.
    static func predictor(_ predictor: String?, weights: String?, generator: String?,
                          registry: () throws -> ModelRegistry) throws -> any SegmentationPredictor {
        if let predictor, predictor.lowercased().hasSuffix(".json") {
            guard let weights else { throw ValidationError("--predictor-weights is required with a predictor JSON config") }
            let cfg = try JSONDecoder().decode(FaceParserConfig.self, from: Data(contentsOf: URL(fileURLWithPath: predictor)))
            return try FaceParser(config: cfg, stateDict: StateDict.loadTorch(weights))
        }
        let r = try registry()
        let name: String
        if let predictor { name = predictor } else {
            guard let generator, !generator.lowercased().hasSuffix(".json") else {
                throw ValidationError("give --predictor (a registered name or a face-UNet JSON config with --predictor-weights)")
            }
            name = try r.predictorName(forGenerator: generator)
        }
        return try r.loadPredictor(name, weights: weights)
    }
}
