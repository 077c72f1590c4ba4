import Foundation
import LGTensor
import LGModelIO
import LGModels

/// Saving and resuming a `GANTrainer`.
///
/// Project format: one safetensors file. Tensors: `G/<key>`, `G_ema/<key>`
/// and `D/<key>` (every parameter and buffer in checkpoint layout, genforce
/// keys), `adam/G/m/<i>`, `adam/G/v/<i>` (and `adam/D/...`) the Adam moments
/// of parameter i. Metadata: `format` = `lineargan-gan-training-checkpoint`
/// and `state`, a JSON object with the run's config, step, images seen,
/// Adam step counts and learning rates, and the random states (hex words).
extension GANTrainer {
    public static let checkpointFormat = "lineargan-gan-training-checkpoint"

    /// Where optimiser `name`'s (G or D) moments live in a checkpoint.
    static func momentKeys(_ name: String) -> Adam.MomentKeys {
        Adam.MomentKeys(m: "adam/\(name)/m/", v: "adam/\(name)/v/")
    }

    struct State: Codable {
        var config: GANTrainingConfig
        var completedSteps: Int
        var imagesSeen: Int
        var rng: RandomState
        var noise: RandomState?
        var adamG: Adam.StateMeta
        var adamD: Adam.StateMeta
        var lastDLoss: Float
        var lastGLoss: Float
    }

    /// Writes the whole run state to `url` (atomically).
    public func saveCheckpoint(to url: URL) throws {
        var tensors: [String: Tensor] = [:]
        for (k, t) in generator.store.checkpointTensors() { tensors["G/" + k] = t }
        for (k, t) in generatorEMA.store.checkpointTensors() { tensors["G_ema/" + k] = t }
        for (k, t) in discriminator.store.checkpointTensors() { tensors["D/" + k] = t }
        func adam(_ opt: Adam, _ name: String) -> Adam.StateMeta {
            let (meta, moments) = opt.exportState(keys: GANTrainer.momentKeys(name))
            tensors.merge(moments) { a, _ in a }
            return meta
        }
        let state = State(config: config, completedSteps: completedSteps, imagesSeen: imagesSeen,
                          rng: RandomState(rng), noise: GeneratorNoise.get(generator).map(RandomState.init),
                          adamG: adam(optimizerG, "G"), adamD: adam(optimizerD, "D"),
                          lastDLoss: lastDLoss, lastGLoss: lastGLoss)
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let json = String(decoding: try enc.encode(state), as: UTF8.self)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Safetensors.write(tensors, metadata: ["format": GANTrainer.checkpointFormat, "state": json], to: url)
        } catch {
            throw GANTrainingError.writeFailed(path: url.path, reason: "\(error)")
        }
    }

    /// Continues a run saved by `saveCheckpoint`. `source` must render what
    /// the run trained on (it is not part of the checkpoint).
    public convenience init(resumingFrom url: URL, source: any TrainingImageSource) throws {
        let loaded = try LoadedCheckpoint(url)
        try self.init(config: loaded.state.config, source: source, restoring: loaded)
    }

    /// The config stored in a checkpoint.
    public static func checkpointConfig(_ url: URL) throws -> GANTrainingConfig {
        try LoadedCheckpoint(url).state.config
    }
}

/// A checkpoint read back: state JSON and tensors.
struct LoadedCheckpoint {
    let path: String
    let state: GANTrainer.State
    let tensors: [String: Tensor]

    init(_ url: URL) throws {
        path = url.path
        let raw: (tensors: [String: TorchTensor], metadata: [String: String])
        do { raw = try Safetensors.readRaw(url) } catch {
            throw GANTrainingError.badCheckpoint(path: url.path, reason: "\(error)")
        }
        guard raw.metadata["format"] == GANTrainer.checkpointFormat, let json = raw.metadata["state"] else {
            throw GANTrainingError.badCheckpoint(path: url.path, reason: "format is '\(raw.metadata["format"] ?? "none")', expected \(GANTrainer.checkpointFormat)")
        }
        let dec = JSONDecoder()
        dec.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do { state = try dec.decode(GANTrainer.State.self, from: Data(json.utf8)) } catch {
            throw GANTrainingError.badCheckpoint(path: url.path, reason: "unreadable state: \(error)")
        }
        tensors = raw.tensors.mapValues { $0.floatTensor() }
    }

    func section(_ prefix: String) -> StateDict {
        var out: [String: Tensor] = [:]
        for (k, t) in tensors where k.hasPrefix(prefix) { out[String(k.dropFirst(prefix.count))] = t }
        return StateDict(out, source: path + " [" + prefix + "]")
    }

    func restoreNetworks(generator: any Generator, generatorEMA: any Generator, discriminator: any Discriminator) throws {
        do {
            try generator.load(section("G/"))
            try generatorEMA.load(section("G_ema/"))
            try discriminator.store.load(section("D/"))
        } catch {
            throw GANTrainingError.badCheckpoint(path: path, reason: "\(error)")
        }
    }

    func restoreState(into trainer: GANTrainer) throws {
        func adam(_ opt: Adam, _ name: String, _ meta: Adam.StateMeta) throws {
            do { try opt.importState(meta, tensors: tensors, keys: GANTrainer.momentKeys(name)) } catch {
                throw GANTrainingError.badCheckpoint(path: path, reason: "optimiser \(name): \(error)")
            }
        }
        try adam(trainer.optimizerG, "G", state.adamG)
        try adam(trainer.optimizerD, "D", state.adamD)
        trainer.rng = try state.rng.restored(path: path)
        if let n = state.noise { GeneratorNoise.set(trainer.generator, try n.restored(path: path)) }
        trainer.completedSteps = state.completedSteps
        trainer.imagesSeen = state.imagesSeen
        trainer.lastDLoss = state.lastDLoss
        trainer.lastGLoss = state.lastGLoss
    }
}

extension RandomState {
    func restored(path: String) throws -> SeededRandom {
        try random().mapError { GANTrainingError.badCheckpoint(path: path, reason: $0.description) }.get()
    }
}
