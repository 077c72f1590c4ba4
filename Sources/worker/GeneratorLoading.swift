import ArgumentParser
import LGLogging
import LGTensor
import Foundation
import LGModels
import LGJobs
import LGManipulation
import LGDomains

/// How commands get a generator: a registered name (`worker models`), or an
/// architecture with a JSON config (the reference constructor's arguments)
/// and a checkpoint. The DCGAN needs no config; its weights default to the
/// model cache.
enum GeneratorLoading {
    /// The registry of a `--configs` folder, or the standard one (./configs
    /// or $LINEARGAN_CONFIGS, plus configs/zoo.json when present).
    static func registry(configs: String?) throws -> ModelRegistry {
        try configs.map { try ModelRegistry(configDirectory: URL(fileURLWithPath: $0)) } ?? ModelRegistry.standard()
    }

    static func load(name: String?, arch: String?, config: String?, weights: String?,
                     registry: () throws -> ModelRegistry) throws -> any Generator {
        if let name { return try registry().loadGenerator(name, weights: weights) }
        guard let arch else { throw CommandFailure("give a registered generator name or an architecture") }
        if arch == "dcgan" {
            let sd = try StateDict.loadTorch(weights ?? ModelCache.path("dcgan_face64.tar"), key: "netG_state_dict")
            return try DCGANGenerator(stateDict: sd)
        }
        guard let family = GeneratorFamily(rawValue: arch) else {
            throw CommandFailure("unknown architecture '\(arch)'; known: dcgan, \(GeneratorFamily.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let config, let weights else {
            throw CommandFailure("architecture \(arch) needs a JSON config and a checkpoint (--weights)")
        }
        let g = try family.makeGenerator(configJSON: Data(contentsOf: URL(fileURLWithPath: config)))
        try g.load(StateDict.loadTorch(weights))
        return g
    }
}

/// `--configs`, shared by every subcommand that reads the model registry.
struct RegistryOptions: ParsableArguments {
    @Option(help: "Registry folder (default: ./configs or $LINEARGAN_CONFIGS).")
    var configs: String?

    func registry() throws -> ModelRegistry { try GeneratorLoading.registry(configs: configs) }
}

extension GeneratorLoading {
    /// A predictor: a face-UNet JSON config with its weights, a registered
    /// name, or (neither given) the generator's registered predictor.
    static func predictor(_ predictor: String?, weights: String?, generator: String?,
                          registry: () throws -> ModelRegistry) throws -> any SegmentationPredictor {
        if let predictor, predictor.lowercased().hasSuffix(".json") {
            guard let weights else { throw CommandFailure("--predictor-weights is required with a predictor JSON config") }
            let cfg = try JSONDecoder().decode(FaceParserConfig.self, from: Data(contentsOf: URL(fileURLWithPath: predictor)))
            return try FaceParser(config: cfg, stateDict: StateDict.loadTorch(weights))
        }
        let r = try registry()
        let name: String
        var registered: String? = nil
        if let generator, !generator.lowercased().hasSuffix(".json") {
            name = try r.predictorName(forGenerator: generator, override: predictor)
            registered = generator
        } else {
            guard let predictor else {
                throw CommandFailure("give --predictor (a registered name or a face-UNet JSON config with --predictor-weights)")
            }
            name = predictor
        }
        return try r.loadPredictor(name, weights: weights, generator: registered)
    }
}

extension GeneratorLoading {
    /// A zoo generator's domain and the predictor that labels it: `predictor`
    /// (a registered name) or the generator's registered one. Refuses a
    /// generator of no procedural domain and a predictor of other classes,
    /// before any generator or checkpoint is read.
    static func zooPredictor(generator: String, predictor: String?, registry: ModelRegistry) throws
        -> (domain: any RenderedDomain, predictorName: String, predictor: any SegmentationPredictor) {
        let entry = try registry.generatorEntry(generator)
        guard let domainName = entry.dataset, let domain = try? Domains.named(domainName) else {
            throw CommandFailure("\(generator) is not a zoo generator (its dataset '\(entry.dataset ?? "none")' is not a procedural domain)")
        }
        let predictorName = try registry.predictorName(forGenerator: generator, override: predictor)
        let p = try registry.loadPredictor(predictorName)
        guard p.classNames == domain.classNames else {
            throw CommandFailure("predictor \(predictorName) labels other classes than the \(domainName) domain's; give one of that domain (see `worker models`)")
        }
        return (domain, predictorName, p)
    }
}

/// The model options `edit` and `scs` share: a StyleGAN-family generator
/// (registered name, or JSON config with family and weights) and a predictor.
struct StyleModelOptions: ParsableArguments {
    @Option(help: "A registered generator name (see `worker models`) or a JSON config file of the reference constructor.")
    var generator: String

    @Option(help: "Generator family when --generator is a JSON config: stylegan or stylegan2.")
    var arch: String = "stylegan2"

    @Option(help: "Generator weights (.pth); required with a JSON config, optional for a registered name.")
    var weights: String?

    @Option(help: "Predictor: a registered name or a face-UNet JSON config (default: the generator's registered predictor).")
    var predictor: String?

    @Option(help: "Predictor weights (.pth).")
    var predictorWeights: String?

    @OptionGroup var catalog: RegistryOptions

    func registry() throws -> ModelRegistry { try catalog.registry() }

    /// The generator; `purpose` completes "... optimises z through its mapping network" errors.
    func styleGenerator(purpose: String) throws -> any StyleGenerator {
        let isConfig = generator.lowercased().hasSuffix(".json")
        if isConfig {
            guard weights != nil else { throw CommandFailure("--weights is required when --generator is a JSON config") }
            guard arch == "stylegan" || arch == "stylegan2" else {
                throw CommandFailure("--arch must be stylegan or stylegan2 (\(purpose) needs a mapping network), got '\(arch)'")
            }
        }
        let g = try GeneratorLoading.load(name: isConfig ? nil : generator, arch: arch, config: isConfig ? generator : nil,
                                          weights: weights, registry: registry)
        guard let sg = g as? any StyleGenerator else {
            throw CommandFailure("'\(generator)' is not a StyleGAN-family generator; \(purpose) optimises z through its mapping network")
        }
        return sg
    }

    func loadPredictor() throws -> any SegmentationPredictor {
        try GeneratorLoading.predictor(predictor, weights: predictorWeights, generator: generator, registry: registry)
    }
}

/// `--sheet-scale` of the commands that write image sheets (`label`, `edit`).
struct SheetScaleOption: ParsableArguments {
    @Option(help: "Enlarge the sheet's tiles this many times (nearest neighbour), for small generators.")
    var sheetScale: Int = 1

    func validate() throws {
        guard (1...16).contains(sheetScale) else { throw ValidationError("--sheet-scale must be 1...16") }
    }

    /// The tiles (N, C, H, W) enlarged by the factor.
    func enlarged(_ tiles: Tensor) -> Tensor {
        sheetScale == 1 ? tiles : tiles.resizeNearest(height: tiles.shape[2] * sheetScale, width: tiles.shape[3] * sheetScale)
    }
}
