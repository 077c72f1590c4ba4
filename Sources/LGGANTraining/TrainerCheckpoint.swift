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

    struct AdamMeta: Codable {
        var learningRates: [Float]
        var steps: [[Int?]]
    }

    struct State: Codable {
        var config: GANTrainingConfig
        var completedSteps: Int
        var imagesSeen: Int
        var rng: RandomState
        var noise: RandomState?
        var adamG: AdamMeta
        var adamD: AdamMeta
        var lastDLoss: Float
        var lastGLoss: Float
    }

    /// Writes the whole run state to `url` (atomically).
    public func saveCheckpoint(to url: URL) throws {
        var tensors: [String: Tensor] = [:]
        for (k, t) in generator.store.checkpointTensors() { tensors["G/" + k] = t }
        for (k, t) in generatorEMA.store.checkpointTensors() { tensors["G_ema/" + k] = t }
        for (k, t) in discriminator.store.checkpointTensors() { tensors["D/" + k] = t }
        func adam(_ opt: Adam, _ name: String) -> AdamMeta {
            let snap = opt.snapshot()
            for (gi, group) in snap.states.enumerated() {
                for (pi, st) in group.enumerated() {
                    guard let st else { continue }
                    tensors["adam/\(name)/m/\(gi)/\(pi)"] = Tensor(shape: [st.m.count], data: st.m)
                    tensors["adam/\(name)/v/\(gi)/\(pi)"] = Tensor(shape: [st.v.count], data: st.v)
                }
            }
            return AdamMeta(learningRates: snap.learningRates, steps: snap.states.map { $0.map { $0?.step } })
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
        func adam(_ opt: Adam, _ name: String, _ meta: GANTrainer.AdamMeta) throws {
            var states: [[Adam.State?]] = []
            for (gi, group) in meta.steps.enumerated() {
                var g: [Adam.State?] = []
                for (pi, step) in group.enumerated() {
                    guard let step else { g.append(nil); continue }
                    guard let m = tensors["adam/\(name)/m/\(gi)/\(pi)"], let v = tensors["adam/\(name)/v/\(gi)/\(pi)"],
                          gi < opt.groups.count, pi < opt.groups[gi].parameters.count,
                          m.count == opt.groups[gi].parameters[pi].value.count, v.count == m.count else {
                        throw GANTrainingError.badCheckpoint(path: path, reason: "Adam moments of \(name) parameter \(gi)/\(pi) are missing or mis-sized")
                    }
                    g.append(Adam.State(step: step, m: m.data, v: v.data))
                }
                states.append(g)
            }
            do { try opt.restore(Adam.Snapshot(learningRates: meta.learningRates, states: states)) } catch {
                throw GANTrainingError.badCheckpoint(path: path, reason: "\(error)")
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
