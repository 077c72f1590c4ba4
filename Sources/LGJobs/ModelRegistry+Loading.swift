import Foundation
import LGTensor
import LGModelIO
import LGFaceLandmarks
import LGModels

/// How a registered generator is built, beyond its registry entry.
public struct GeneratorOptions: Sendable, Equatable {
    /// Overrides the config's `randomize_noise` (StyleGAN, StyleGAN2).
    public var randomizeNoise: Bool?
    /// Seed of the generator's noise stream when noise is randomised.
    public var noiseSeed: UInt64?

    public init(randomizeNoise: Bool? = nil, noiseSeed: UInt64? = nil) {
        self.randomizeNoise = randomizeNoise; self.noiseSeed = noiseSeed
    }
}

extension ModelRegistry {
    // MARK: Building

    /// An unloaded generator of the entry's architecture (zero weights).
    func buildGenerator(_ g: GeneratorEntry, options: GeneratorOptions = .init()) throws -> any Generator {
        let data = try (g.config ?? .object([:])).data()
        do {
            switch g.family {
            case .pggan:
                return try PGGANGenerator(config: JSONDecoder().decode(PGGANConfig.self, from: data))
            case .stylegan, .stylegan2:
                var c = try StyleGANConfig.decode(data, family: g.family == .stylegan ? .stylegan : .stylegan2)
                if let r = options.randomizeNoise { c.randomizeNoise = r }
                let gen: any StyleGenerator = g.family == .stylegan
                    ? try StyleGANGenerator(config: c) : try StyleGAN2Generator(config: c)
                if let s = options.noiseSeed { NoiseRandomness.set(SeededRandom(seed: s), on: gen) }
                return gen
            case .dcgan:
                throw RegistryError.badConfig(file: "generators.json", reason: "DCGAN is built from its weights")
            }
        } catch let e as DecodingError {
            throw RegistryError.badConfig(file: configDirectory?.appendingPathComponent("generators.json").path ?? "registry",
                                          reason: "generator '\(g.name)': config does not decode: \(e)")
        }
    }

    /// A few checkpoint keys and the shapes the entry's config implies.
    public func expectedShapes(of g: GeneratorEntry) throws -> [RegistryError.KeyShape] {
        if let s = g.expectedShapes {
            return s.keys.sorted().map { RegistryError.KeyShape($0, s[$0]!) }
        }
        let gen = try buildGenerator(g)
        return ModelRegistry.sampleShapes(gen.store.declaredShapes)
    }

    public func expectedShapes(of p: PredictorEntry) throws -> [RegistryError.KeyShape] {
        if p.kind == .sceneSegmenter {
            return SceneSegmenter.sampleShapes(try sceneConfig(p)).map { RegistryError.KeyShape($0.0, $0.1) }
        }
        guard p.kind == .faceUNet, let c = p.config else { return [] }
        let parser = try FaceParser(config: JSONDecoder().decode(FaceParserConfig.self, from: c.data()))
        return ModelRegistry.sampleShapes(parser.store.declaredShapes)
    }

    /// First two, any constant / w_avg, and last two keys.
    static func sampleShapes(_ all: [(String, [Int])]) -> [RegistryError.KeyShape] {
        var picked: [(String, [Int])] = Array(all.prefix(2))
        picked += all.filter { $0.0.hasSuffix("const") || $0.0.hasSuffix("w_avg") }
        picked += all.suffix(2)
        var seen = Set<String>()
        return picked.filter { seen.insert($0.0).inserted }.map { RegistryError.KeyShape($0.0, $0.1) }
    }

    // MARK: Loading

    /// Builds the registered generator `name` and loads its weights (from
    /// `weights` when given). Missing or mismatched files throw
    /// `RegistryError` naming the expected path, shapes and how to obtain it.
    public func loadGenerator(_ name: String, weights: String? = nil,
                              options: GeneratorOptions = .init()) throws -> any Generator {
        let g = try generatorEntry(name)
        let url = try generatorWeights(name, explicit: weights)
        func mismatch(_ problem: String) -> RegistryError {
            .mismatchedWeights(model: name, path: url.path, problem: problem,
                               expectedShapes: (try? expectedShapes(of: g)) ?? [],
                               obtain: g.obtain ?? "not documented in the registry entry")
        }
        let sd: StateDict
        do { sd = try StateDict.loadTorch(url.path, key: g.weightsKey) } catch let e as ModelError {
            throw mismatch("\(e)")
        } catch {
            throw mismatch("not a readable PyTorch checkpoint (\(error))")
        }
        do {
            if g.family == .dcgan { return try DCGANGenerator(stateDict: sd) }
            let gen = try buildGenerator(g, options: options)
            try gen.load(sd)
            return gen
        } catch let e as ModelError {
            switch e {
            case .missingKey, .shapeMismatch: throw mismatch("\(e)")
            default: throw e
            }
        }
    }

    /// Builds the registered predictor `name` with its weights. A scene
    /// segmenter labels the classes of `generator`'s label set
    /// (`ade20k_selected/{G}`: LinearGAN's per-GAN selection) when one is
    /// given, else its own (`ade20k`: all 150 classes).
    public func loadPredictor(_ name: String, weights: String? = nil, generator: String? = nil) throws -> any SegmentationPredictor {
        let p = try predictorEntry(name)
        guard p.isRunnable else { throw RegistryError.notRunnable(model: name, reason: p.note ?? "not implemented") }
        switch p.kind {
        case .sceneSegmenter:
            let config = try sceneConfig(p)
            let set = try generator.flatMap { try generatorEntry($0).labelSet } ?? p.labelSet ?? "ade20k"
            let selection = try sceneLabelSelection(labelSet: set, classes: config.nClasses)
            let url = try predictorWeights(name, explicit: weights)
            do {
                let net = try SceneSegmenter(config: config, stateDict: StateDict.loadTorch(url.path))
                net.labelSelection = selection
                return net
            } catch let e as ModelError {
                throw mismatched(p, url, e)
            }
        case .landmarkParser:
            let url = try predictorWeights(name, explicit: weights)
            let config: LandmarkParserConfig
            do { config = try JSONDecoder().decode(LandmarkParserConfig.self, from: (p.config ?? .object([:])).data()) } catch {
                throw RegistryError.badConfig(file: "predictors.json", reason: "predictor '\(name)': config does not decode: \(error)")
            }
            do {
                return try LandmarkFaceParser(modelPath: url.path, faceSize: config.faceSize ?? 192,
                                              canvas: config.canvas ?? 256, upsample: config.upsample ?? 0)
            } catch let e as FaceLandmarkError {
                throw RegistryError.mismatchedWeights(model: name, path: url.path, problem: "\(e)", expectedShapes: [],
                                                      obtain: p.obtain ?? "not documented in the registry entry")
            }
        case .faceUNet:
            let url = try predictorWeights(name, explicit: weights)
            let config: FaceParserConfig
            do { config = try JSONDecoder().decode(FaceParserConfig.self, from: (p.config ?? .object([:])).data()) } catch {
                throw RegistryError.badConfig(file: "predictors.json", reason: "predictor '\(name)': config does not decode: \(error)")
            }
            do {
                let parser = try FaceParser(config: config, stateDict: StateDict.loadTorch(url.path))
                // A parser trained on another label set (a zoo domain) names its classes by it.
                if config.nClasses != FaceParser.classNames.count, let set = p.labelSet,
                   let names = try? classNames(labelSet: set), names.count == config.nClasses {
                    parser.labelNames = names
                }
                return parser
            } catch let e as ModelError {
                throw mismatched(p, url, e)
            }
        }
    }

    /// A scene segmenter entry's config (the DeepLabV3 constructor values).
    func sceneConfig(_ p: PredictorEntry) throws -> SceneSegmenterConfig {
        do { return try SceneSegmenterConfig.decode((p.config ?? .object([:])).data()) } catch {
            throw RegistryError.badConfig(file: "predictors.json", reason: "predictor '\(p.name)': \(error)")
        }
    }

    /// The weight file of a generator, or `RegistryError.missingWeights`
    /// naming the paths searched, a few expected tensor shapes and how to
    /// obtain it.
    public func generatorWeights(_ name: String, explicit: String? = nil) throws -> URL {
        switch try lookupWeights(generator: name, explicit: explicit) {
        case .found(let u): return u
        case .missing(let searched, let obtain):
            throw RegistryError.missingWeights(model: name, searched: searched.map(\.path),
                                               expectedShapes: (try? expectedShapes(of: generatorEntry(name))) ?? [], obtain: obtain)
        }
    }

    /// The weight file of a predictor, or `RegistryError.missingWeights`.
    public func predictorWeights(_ name: String, explicit: String? = nil) throws -> URL {
        switch try lookupWeights(predictor: name, explicit: explicit) {
        case .found(let u): return u
        case .missing(let searched, let obtain):
            throw RegistryError.missingWeights(model: name, searched: searched.map(\.path),
                                               expectedShapes: (try? expectedShapes(of: predictorEntry(name))) ?? [], obtain: obtain)
        }
    }

    /// The error of a predictor file that exists but does not hold the registered network.
    func mismatched(_ p: PredictorEntry, _ url: URL, _ e: ModelError) -> RegistryError {
        .mismatchedWeights(model: p.name, path: url.path, problem: "\(e)", expectedShapes: (try? expectedShapes(of: p)) ?? [],
                           obtain: p.obtain ?? "not documented in the registry entry")
    }

    // MARK: Status

    /// One line of `worker models`.
    public struct ModelStatus: Sendable, Codable, Equatable {
        public var kind: String
        public var name: String
        public var detail: String
        public var weightsPresent: Bool
        /// The file found, or the first expected path.
        public var path: String
        public var runnable: Bool
        public var testOnly: Bool
        public var note: String?
    }

    /// Every generator and predictor with whether its weights are present.
    public func status() -> [ModelStatus] {
        var out: [ModelStatus] = []
        for g in generators {
            let c = weightCandidates(for: g)
            let found = c.first { FileManager.default.fileExists(atPath: $0.path) }
            let predictor = g.predictor.flatMap { p in predictors.first { $0.name == p } }
            let runnable = predictor?.isRunnable ?? false
            let note = g.note ?? (runnable ? nil : "predictor \(g.predictor ?? "none") is not runnable")
            out.append(ModelStatus(kind: "generator", name: g.name,
                                   detail: "\(g.family.rawValue) \(g.resolution)px, labels \(g.labelResolution)px by \(g.predictor ?? "none")",
                                   weightsPresent: found != nil, path: (found ?? c.first)?.path ?? "",
                                   runnable: runnable, testOnly: g.testOnly ?? false, note: note))
        }
        for p in predictors {
            let c = weightCandidates(for: p)
            let found = c.first { FileManager.default.fileExists(atPath: $0.path) }
            out.append(ModelStatus(kind: "predictor", name: p.name,
                                   detail: "\(p.kind.rawValue), labels \(p.labelSet ?? "?")",
                                   weightsPresent: found != nil, path: (found ?? c.first)?.path ?? "",
                                   runnable: p.isRunnable, testOnly: p.testOnly ?? false, note: p.note))
        }
        return out
    }
}

/// Access to the noise stream of generators that randomise noise.
public enum NoiseRandomness {
    public static func get(_ g: any Generator) -> SeededRandom? {
        if let s = g as? StyleGAN2Generator { return s.noiseRandom }
        if let s = g as? StyleGANGenerator { return s.noiseRandom }
        return nil
    }

    public static func set(_ r: SeededRandom, on g: any Generator) {
        if let s = g as? StyleGAN2Generator { s.noiseRandom = r }
        if let s = g as? StyleGANGenerator { s.noiseRandom = r }
    }

    /// Whether `g` draws new noise on every forward.
    public static func isRandomized(_ g: any Generator) -> Bool {
        if let s = g as? StyleGAN2Generator { return s.config.randomizeNoise }
        if let s = g as? StyleGANGenerator { return s.config.randomizeNoise }
        return false
    }
}

/// `config` of a `landmark_parser` predictor (see `LandmarkFaceParser`).
struct LandmarkParserConfig: Decodable {
    var faceSize: Int?
    var canvas: Int?
    var upsample: Int?
    enum CodingKeys: String, CodingKey { case faceSize = "face_size", canvas, upsample }
}
