import ArgumentParser
import Foundation
import LGModels
import LGJobs

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
