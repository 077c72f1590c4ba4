import Foundation
import LGWire

/// The registered generators, predictors and label sets (configs/), and
/// where their weight files are found.
///
/// Weight files are searched, in order: an explicit path; the entry's
/// pinned `weights_path`; `$LINEARGAN_WEIGHTS/{file}` and
/// `$LINEARGAN_WEIGHTS/{reference layout}/{file}`; the reference layout under
/// the repository root (`models/pretrain/pytorch/` for generators, the
/// entry's `weights_dir` for predictors); the model cache's `models/`.
public final class ModelRegistry: @unchecked Sendable {
    public private(set) var generators: [GeneratorEntry] = []
    public private(set) var predictors: [PredictorEntry] = []
    public private(set) var labelSets: [LabelSetEntry] = []
    /// Folder of the registry files (nil for a registry built in code).
    public let configDirectory: URL?
    public var locations: WeightLocations

    /// Where weight files are searched.
    public struct WeightLocations: Sendable {
        /// Root of the reference layout (the repository root).
        public var repoRoot: URL
        /// `$LINEARGAN_WEIGHTS`: a folder of weight files.
        public var weightsDirectory: URL?
        /// The model cache root (`ModelCache.root`).
        public var cacheRoot: URL

        public init(repoRoot: URL, weightsDirectory: URL? = nil, cacheRoot: URL) {
            self.repoRoot = repoRoot; self.weightsDirectory = weightsDirectory; self.cacheRoot = cacheRoot
        }

        /// From the environment: `$LINEARGAN_WEIGHTS`, `$LINEARGAN_CACHE` (else repoRoot/cache).
        public static func fromEnvironment(repoRoot: URL,
                                           environment: [String: String] = ProcessInfo.processInfo.environment) -> WeightLocations {
            let w = environment["LINEARGAN_WEIGHTS"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            let c = environment["LINEARGAN_CACHE"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
                ?? repoRoot.appendingPathComponent("cache")
            return WeightLocations(repoRoot: repoRoot, weightsDirectory: w, cacheRoot: c)
        }
    }

    /// The reference layout folder of generator checkpoints.
    public static let generatorWeightsDir = "models/pretrain/pytorch"

    /// An empty registry (register entries in code).
    public init(locations: WeightLocations) {
        self.configDirectory = nil
        self.locations = locations
    }

    /// Loads generators.json, predictors.json and labels.json from `directory`
    /// (each optional). The repository root defaults to its parent folder.
    public init(configDirectory directory: URL, locations: WeightLocations? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.configDirectory = directory
        self.locations = locations ?? .fromEnvironment(repoRoot: directory.deletingLastPathComponent(), environment: environment)
        let fm = FileManager.default
        func read<T: Decodable>(_ file: String, _ type: T.Type) throws -> T? {
            let url = directory.appendingPathComponent(file)
            guard fm.fileExists(atPath: url.path) else { return nil }
            let data: Data
            do { data = try Data(contentsOf: url) } catch {
                throw RegistryError.badConfig(file: url.path, reason: "unreadable: \(error.localizedDescription)")
            }
            do { return try JSONDecoder().decode(T.self, from: data) } catch {
                throw RegistryError.badConfig(file: url.path, reason: "cannot be read as a registry file: \(JSONErrorText.describe(error, in: data))")
            }
        }
        guard fm.fileExists(atPath: directory.path) else {
            throw RegistryError.badConfig(file: directory.path, reason: "no such config folder; run from the repository root or set $LINEARGAN_CONFIGS")
        }
        for g in try read("generators.json", GeneratorsFile.self)?.generators ?? [] { try register(g) }
        for p in try read("predictors.json", PredictorsFile.self)?.predictors ?? [] { try register(p) }
        if let l = try read("labels.json", LabelsFile.self) { labelSets = l.labelSets }
        if let z = try read("zoo.json", ZooFile.self) {
            for g in z.generators { try register(g) }
            for p in z.predictors { try register(p) }
            for l in z.labelSets { register(l) }
        }
    }

    /// The registry of the repository: `$LINEARGAN_CONFIGS`, else the first
    /// `configs/` holding generators.json in the working folder or above it.
    public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ModelRegistry {
        if let c = environment["LINEARGAN_CONFIGS"], !c.isEmpty {
            return try ModelRegistry(configDirectory: URL(fileURLWithPath: c), environment: environment)
        }
        var dir = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        for _ in 0..<8 {
            let c = dir.appendingPathComponent("configs")
            if FileManager.default.fileExists(atPath: c.appendingPathComponent("generators.json").path) {
                return try ModelRegistry(configDirectory: c, environment: environment)
            }
            let up = dir.deletingLastPathComponent()
            if up.path == dir.path { break }
            dir = up
        }
        throw RegistryError.badConfig(file: "configs/generators.json",
                                      reason: "not found in \(FileManager.default.currentDirectoryPath) or above it; run from the repository root or set $LINEARGAN_CONFIGS")
    }

    // MARK: Registration and lookup

    /// Adds or replaces a generator entry.
    public func register(_ g: GeneratorEntry) throws {
        guard g.family == .dcgan || g.config != nil else {
            throw RegistryError.badConfig(file: configDirectory?.path ?? "registry", reason: "generator '\(g.name)' has no 'config'")
        }
        generators.removeAll { $0.name == g.name }
        generators.append(g)
    }

    /// Adds or replaces a predictor entry.
    public func register(_ p: PredictorEntry) throws {
        predictors.removeAll { $0.name == p.name }
        predictors.append(p)
    }

    public func register(_ l: LabelSetEntry) {
        labelSets.removeAll { $0.name == l.name }
        labelSets.append(l)
    }

    public func generatorEntry(_ name: String) throws -> GeneratorEntry {
        guard let g = generators.first(where: { $0.name == name }) else {
            throw RegistryError.unknownGenerator(name: name, known: generators.map(\.name))
        }
        return g
    }

    public func predictorEntry(_ name: String) throws -> PredictorEntry {
        guard let p = predictors.first(where: { $0.name == name }) else {
            throw RegistryError.unknownPredictor(name: name, known: predictors.map(\.name))
        }
        return p
    }

    // MARK: Weight files

    func resolve(_ path: String) -> URL {
        path.hasPrefix("/") ? URL(fileURLWithPath: path) : locations.repoRoot.appendingPathComponent(path)
    }

    /// The paths searched for a generator's weights, in order.
    public func weightCandidates(for g: GeneratorEntry, explicit: String? = nil) -> [URL] {
        if let explicit { return [URL(fileURLWithPath: explicit)] }
        if let p = g.weightsPath { return [resolve(p)] }
        return candidates(file: g.weights, layoutDir: ModelRegistry.generatorWeightsDir,
                          cacheFirst: g.weightsSource == .modelCache)
    }

    /// The paths searched for a predictor's weights, in order.
    public func weightCandidates(for p: PredictorEntry, explicit: String? = nil) -> [URL] {
        if let explicit { return [URL(fileURLWithPath: explicit)] }
        if let w = p.weightsPath { return [resolve(w)] }
        guard let file = p.weights else { return [] }
        return candidates(file: file, layoutDir: p.weightsDir ?? "predictors/pretrain", cacheFirst: false)
    }

    private func candidates(file: String, layoutDir: String, cacheFirst: Bool) -> [URL] {
        var out: [URL] = [locations.repoRoot.appendingPathComponent(layoutDir).appendingPathComponent(file)]
        if let w = locations.weightsDirectory {
            out.append(w.appendingPathComponent(file))
            out.append(w.appendingPathComponent(layoutDir).appendingPathComponent(file))
        }
        let cache = locations.cacheRoot.appendingPathComponent("models").appendingPathComponent(file)
        if cacheFirst { out.insert(cache, at: 0) } else { out.append(cache) }
        return out
    }

    private func firstExisting(_ urls: [URL]) -> URL? {
        urls.first { FileManager.default.fileExists(atPath: $0.path) }
    }

    /// Where a model's weight file is, or where it was looked for.
    public enum WeightsLookup: Equatable, Sendable {
        case found(URL)
        case missing(searched: [URL], obtain: String)
    }

    /// Searches a generator's weight file (no file is read).
    public func lookupWeights(generator name: String, explicit: String? = nil) throws -> WeightsLookup {
        let g = try generatorEntry(name)
        let c = weightCandidates(for: g, explicit: explicit)
        if let u = firstExisting(c) { return .found(u) }
        return .missing(searched: c, obtain: g.obtain ?? "not documented in the registry entry")
    }

    /// Searches a predictor's weight file (no file is read).
    public func lookupWeights(predictor name: String, explicit: String? = nil) throws -> WeightsLookup {
        let p = try predictorEntry(name)
        let c = weightCandidates(for: p, explicit: explicit)
        if let u = firstExisting(c) { return .found(u) }
        return .missing(searched: c, obtain: p.obtain ?? "not documented in the registry entry")
    }

    // MARK: Predictors of generators

    /// The predictor registered for generator `name`.
    public func predictorName(forGenerator name: String) throws -> String {
        let g = try generatorEntry(name)
        guard let p = g.predictor else {
            throw RegistryError.notRunnable(model: name, reason: "no predictor is registered for it")
        }
        return p
    }

    /// The predictor that labels generator `name`'s images: `override` (a
    /// registered name) when given, else the generator's own. An override
    /// must label the generator's own predictor's label set (the generator's
    /// label set where it has no predictor): another domain's segmenter
    /// would teach the extractors classes the generator's tables do not name.
    public func predictorName(forGenerator name: String, override: String?) throws -> String {
        guard let override else { return try predictorName(forGenerator: name) }
        let chosen = try predictorEntry(override)
        let g = try generatorEntry(name)
        let expected = g.predictor.flatMap { try? predictorEntry($0).labelSet } ?? g.labelSet
        if let expected, let got = chosen.labelSet, got != expected {
            throw RegistryError.incompatiblePredictor(predictor: override, labelSet: got, generator: name,
                                                      expected: expected, own: g.predictor)
        }
        return override
    }

    // MARK: Label sets

    /// Class names of a label set: a registered list, `ade20k` (the CSV's
    /// names), or `ade20k_selected/{G}` (background + G's row of selected_labels.csv).
    public func classNames(labelSet name: String) throws -> [String] {
        if let l = labelSets.first(where: { $0.name == name }) {
            if let n = l.names { return n }
            if let csv = l.ade20kCsv { return try ade20kNames(csv) }
        }
        if name.hasPrefix("ade20k_selected/") {
            let g = String(name.dropFirst("ade20k_selected/".count))
            guard let dir = configDirectory else { throw RegistryError.unknownLabelSet(name: name, reason: "no config folder") }
            let url = dir.appendingPathComponent("selected_labels.csv")
            if let labels = ADE20KCSV.selected(csv: try readText(url), model: g) { return ["background"] + labels }
            throw RegistryError.unknownLabelSet(name: name, reason: "\(url.path) has no row for '\(g)'")
        }
        throw RegistryError.unknownLabelSet(name: name, reason: "not registered in configs/labels.json (known: \(labelSets.map(\.name).joined(separator: ", ")), or ade20k_selected/{G})")
    }

    package func ade20kNames(_ file: String) throws -> [String] {
        guard let dir = configDirectory else { throw RegistryError.unknownLabelSet(name: file, reason: "no config folder") }
        return ADE20KCSV.names(csv: try readText(dir.appendingPathComponent(file)))
    }

    package func readText(_ url: URL) throws -> String {
        do { return try String(contentsOf: url, encoding: .utf8) } catch {
            throw RegistryError.badConfig(file: url.path, reason: "unreadable: \(error.localizedDescription)")
        }
    }
}
