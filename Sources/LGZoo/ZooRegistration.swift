import Foundation
import LGDomains
import LGJobs
import LGModelIO
import LGModels
import LGWire

/// Registers trained zoo models: copies generators (from `train_gan` run
/// folders) and segmenters (from `worker train-segmenter`) into the models
/// folder and writes their entries into configs/zoo.json, replacing entries
/// of the same name. Generators are labelled by their domain's segmenter at
/// their own resolution.
public enum ZooRegistration {
    public struct Summary: Sendable, Equatable {
        public var generators: [String]
        public var predictors: [String]
        /// Generators whose labelling predictor `SegmenterOptions.relabel` changed.
        public var relabelled: [String] = []

        public init(generators: [String], predictors: [String], relabelled: [String] = []) {
            self.generators = generators
            self.predictors = predictors
            self.relabelled = relabelled
        }
    }

    /// How segmenters are registered.
    public struct SegmenterOptions: Sendable, Equatable {
        /// Appended to the names: predictor `{domain}_seg{resolution}_{suffix}`,
        /// file `{domain}_unet{resolution}_{suffix}.safetensors`, so a second
        /// segmenter of a domain can sit beside the first. nil: no suffix.
        public var suffix: String?
        /// `.f16WhereInRange` (or `.f16`) about halves the file. The stored network is then evaluated again on
        /// as many held-out renders as its training report, and that
        /// evaluation is what the file's metadata and the entry's note say.
        public var floats: Safetensors.FloatStorage
        /// Point the already registered generators of the segmenter's domain
        /// and resolution at it (their labels change: tables computed with
        /// the previous predictor are reproduced with `--set predictor=OLD`).
        public var relabel: Bool

        public init(suffix: String? = nil, floats: Safetensors.FloatStorage = .f32, relabel: Bool = false) {
            self.suffix = suffix
            self.floats = floats
            self.relabel = relabel
        }
    }

    /// - Parameters:
    ///   - runs: `train_gan` output folders (each with generator.safetensors and generator.json).
    ///   - segmenters: segmenter files written by `SegmenterFiles.save`.
    ///   - modelsDirectory: where the files are copied (models/zoo), named relative to `repoRoot` in the entries.
    ///   - segmenterOptions: names, storage precision and relabelling for the segmenters.
    public static func register(runs: [URL], segmenters: [URL], modelsDirectory: URL, repoRoot: URL,
                                configDirectory: URL, segmenterOptions: SegmenterOptions = .init()) throws -> Summary {
        if let suffix = segmenterOptions.suffix,
           suffix.isEmpty || !suffix.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) {
            throw ZooError.badSetting("segmenter suffix '\(suffix)' must be letters, digits or '-' (it becomes part of a predictor and a file name)")
        }
        let fm = FileManager.default
        try fm.createDirectory(at: modelsDirectory, withIntermediateDirectories: true)
        let zooURL = configDirectory.appendingPathComponent("zoo.json")
        var zoo = ZooFile(about: nil, generators: [], predictors: [], labelSets: [])
        if fm.fileExists(atPath: zooURL.path) {
            do { zoo = try JSONDecoder().decode(ZooFile.self, from: Data(contentsOf: zooURL)) } catch {
                throw ZooError.badFile(path: zooURL.path, reason: "cannot be read as a zoo registry: \(error)")
            }
        }
        zoo.about = "The embedded zoo (docs/zoo.md): generators trained by train_gan jobs (jobs/train_zoo.json) and domain segmenters (worker train-segmenter), registered by `worker zoo-register`. Files under models/zoo/."
        func relative(_ url: URL) -> String {
            let root = repoRoot.standardizedFileURL.path + "/"
            let p = url.standardizedFileURL.path
            return p.hasPrefix(root) ? String(p.dropFirst(root.count)) : p
        }
        func copy(_ from: URL, _ name: String) throws -> URL {
            let to = modelsDirectory.appendingPathComponent(name)
            if from.standardizedFileURL.path != to.standardizedFileURL.path {
                if fm.fileExists(atPath: to.path) { try fm.removeItem(at: to) }
                try fm.copyItem(at: from, to: to)
            }
            return to
        }
        var summary = Summary(generators: [], predictors: [])
        for url in segmenters {
            let (net, settings, metadata) = try SegmenterFiles.loadWithMetadata(url)
            let tail = segmenterOptions.suffix.map { "_\($0)" } ?? ""
            let name = "\(settings.domain)_seg\(settings.resolution)\(tail)"
            let fileName = "\(settings.domain)_unet\(settings.resolution)\(tail).safetensors"
            var evaluation = SegmenterFiles.evaluation(in: metadata)
            let file: URL
            switch segmenterOptions.floats {
            case .f32:
                file = try copy(url, fileName)
            case .f16, .f16WhereInRange:
                file = modelsDirectory.appendingPathComponent(fileName)
                evaluation = try SegmenterFiles.storeHalf(net, settings: settings, metadata: metadata,
                                                          sourceName: url.lastPathComponent, to: file,
                                                          evaluationSamples: evaluation?.samples ?? 1000,
                                                          floats: segmenterOptions.floats)
            }
            let config = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(net.config))
            var entry = PredictorEntry(name: name, kind: .faceUNet, config: config, weights: file.lastPathComponent,
                                       weightsPath: relative(file), labelSet: settings.domain,
                                       obtain: registerCommand(settings: settings, trained: relative(url), stored: relative(file),
                                                               options: segmenterOptions, repoRoot: repoRoot))
            if let e = evaluation {
                entry.note = String(format: "held-out mIoU %.1f %% over all pixels (%.1f %% per image) on %d renders",
                                    e.datasetMIoU * 100, e.perImageMIoU * 100, e.samples)
                    + (segmenterOptions.floats == .f32 ? "" : ", as stored (F16)")
            }
            zoo.predictors.removeAll { $0.name == name }
            zoo.predictors.append(entry)
            let domain = try Domains.named(settings.domain)
            zoo.labelSets.removeAll { $0.name == settings.domain }
            zoo.labelSets.append(LabelSetEntry(name: settings.domain, names: domain.classNames))
            summary.predictors.append(name)
            if segmenterOptions.relabel {
                for i in zoo.generators.indices
                where zoo.generators[i].labelSet == settings.domain && zoo.generators[i].labelResolution == settings.resolution
                    && zoo.generators[i].predictor != name {
                    zoo.generators[i].predictor = name
                    summary.relabelled.append(zoo.generators[i].name)
                }
            }
        }
        for run in runs {
            let weights = run.appendingPathComponent("generator.safetensors")
            let configURL = run.appendingPathComponent("generator.json")
            guard fm.fileExists(atPath: weights.path), fm.fileExists(atPath: configURL.path) else {
                throw ZooError.badFile(path: run.path, reason: "no generator.safetensors and generator.json: the train_gan job has not finished")
            }
            let meta = try Safetensors.read(weights).metadata
            guard meta["format"] == "lineargan-zoo-generator", let f = meta["family"], let family = RegistryFamily(rawValue: f),
                  let domainName = meta["domain"] else {
                throw ZooError.badFile(path: weights.path, reason: "not a zoo generator written by a train_gan job")
            }
            let configData = try Data(contentsOf: configURL)
            let config = try JSONDecoder().decode(JSONValue.self, from: configData)
            guard let modelFamily = GeneratorFamily(rawValue: f) else {
                throw ZooError.badFile(path: weights.path, reason: "family \(f) is not trainable")
            }
            let g = try modelFamily.makeGenerator(configJSON: configData)
            try g.load(StateDict.loadTorch(weights.path))
            let name = run.lastPathComponent
            let file = try copy(weights, "\(name).safetensors")
            // A run registered again keeps the predictor it had (which
            // `relabel` may have changed); a new one gets {domain}_seg{res}.
            let previous = zoo.generators.first { $0.name == name }?.predictor
            let predictor = previous ?? "\(domainName)_seg\(g.resolution)"
            var entry = GeneratorEntry(name: name, family: family, resolution: g.resolution, config: config,
                                       weights: file.lastPathComponent, weightsPath: relative(file),
                                       labelResolution: g.resolution,
                                       predictor: zoo.predictors.contains { $0.name == predictor } ? predictor : nil,
                                       labelSet: domainName,
                                       obtain: "coordinator enqueue train_zoo --set family=\(f) --set domain=\(domainName); run a worker; then worker zoo-register --run expr/zoo/\(name)")
            entry.dataset = domainName
            entry.note = "embedded zoo: \(f) trained \(meta["steps"] ?? "?") steps on \(domainName) renders"
            zoo.generators.removeAll { $0.name == name }
            zoo.generators.append(entry)
            summary.generators.append(name)
        }
        zoo.generators.sort { $0.name < $1.name }
        zoo.predictors.sort { $0.name < $1.name }
        zoo.labelSets.sort { $0.name < $1.name }
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try enc.encode(zoo).write(to: zooURL, options: .atomic)
        // What was written must load.
        _ = try ModelRegistry(configDirectory: configDirectory)
        return summary
    }

    /// The entry's `obtain`: how the trained file came about (the training of
    /// the file a fine-tune started from first, when that file can be read)
    /// and how it was registered.
    static func registerCommand(settings: SegmenterSettings, trained: String, stored: String,
                                options: SegmenterOptions, repoRoot: URL) -> String {
        var register = "worker zoo-register --segmenter \(options.floats == .f32 ? stored : trained)"
        if let s = options.suffix { register += " --suffix \(s)" }
        if options.floats != .f32 { register += " --half" }
        if options.relabel { register += " --relabel" }
        var steps = [settings.trainCommand(out: options.floats == .f32 ? stored : trained)]
        if let initial = settings.initialWeights,
           let base = try? SegmenterFiles.settings(of: URL(fileURLWithPath: initial, relativeTo: repoRoot)) {
            steps.insert(base.trainCommand(out: initial), at: 0)
        }
        return (steps + [register]).joined(separator: "; then ")
    }
}
