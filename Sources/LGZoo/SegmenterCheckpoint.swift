import Foundation
import LGModelIO
import LGModels
import LGTensor

/// A segmenter training run saved mid-way: the network (BatchNorm running
/// statistics included), Adam's moments, the batch-seed generator and the
/// step, so that a resumed run takes exactly the steps an uninterrupted one
/// would. One safetensors blob; the settings and the small state as JSON in
/// its metadata.
extension SegmenterTrainer {
    static let checkpointFormat = "lineargan-segmenter-checkpoint"
    /// Where Adam's moments live in the checkpoint (part of the format).
    static let momentKeys = Adam.MomentKeys(m: "adam_m/", v: "adam_v/")

    struct CheckpointState: Codable {
        var settings: SegmenterSettings
        var step: Int
        var rng: RandomState
        var adamSteps: [[Int?]]
        var learningRates: [Float]
        var trainSeconds: Double
    }

    /// The run as bytes (see the extension's comment).
    public func checkpointData() throws -> Data {
        var tensors: [String: Tensor] = [:]
        for (k, t) in network.checkpointStateDict() { tensors["net/" + k] = t }
        let (adam, moments) = optimizer.exportState(keys: Self.momentKeys)
        tensors.merge(moments) { a, _ in a }
        let state = CheckpointState(settings: settings, step: step, rng: RandomState(rng),
                                    adamSteps: adam.steps, learningRates: adam.learningRates,
                                    trainSeconds: trainSeconds)
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let json = String(decoding: try enc.encode(state), as: UTF8.self)
        return Data(try Safetensors.encode(tensors, metadata: ["format": Self.checkpointFormat, "state": json]))
    }

    /// The settings a checkpoint was written with.
    public static func checkpointSettings(_ data: Data) throws -> SegmenterSettings {
        try decodeCheckpoint(data).state.settings
    }

    /// Continues a run from `checkpointData()`'s bytes.
    public convenience init(resuming data: Data) throws {
        let (state, tensors) = try Self.decodeCheckpoint(data)
        try self.init(settings: state.settings, loadInitialWeights: false)
        var net: [String: Tensor] = [:]
        for (k, t) in tensors where k.hasPrefix("net/") { net[String(k.dropFirst(4))] = t }
        do { try network.load(StateDict(net, source: "segmenter checkpoint")) } catch {
            throw ZooError.badFile(path: "segmenter checkpoint", reason: "its network does not match its settings: \(error)")
        }
        optimizer = Adam([ParameterGroup(network.parameters, learningRate: settings.learningRate)])
        do {
            try optimizer.importState(Adam.StateMeta(learningRates: state.learningRates, steps: state.adamSteps),
                                      tensors: tensors, keys: Self.momentKeys)
        } catch {
            throw ZooError.badFile(path: "segmenter checkpoint", reason: "\(error)")
        }
        switch state.rng.random() {
        case .success(let r): rng = r
        case .failure(let e): throw ZooError.badFile(path: "segmenter checkpoint", reason: "random state: \(e)")
        }
        step = state.step
        trainSeconds = state.trainSeconds
    }

    static func decodeCheckpoint(_ data: Data) throws -> (state: CheckpointState, tensors: [String: Tensor]) {
        let raw: (tensors: [String: TorchTensor], metadata: [String: String])
        do { raw = try Safetensors.decode([UInt8](data)) } catch {
            throw ZooError.badFile(path: "segmenter checkpoint", reason: "unreadable (\(error)); delete it to start over")
        }
        guard raw.metadata["format"] == checkpointFormat, let json = raw.metadata["state"] else {
            throw ZooError.badFile(path: "segmenter checkpoint",
                                   reason: "format is '\(raw.metadata["format"] ?? "none")', expected \(checkpointFormat)")
        }
        let state: CheckpointState
        do { state = try JSONDecoder().decode(CheckpointState.self, from: Data(json.utf8)) } catch {
            throw ZooError.badFile(path: "segmenter checkpoint", reason: "unreadable state: \(error)")
        }
        return (state, raw.tensors.mapValues { $0.floatTensor() })
    }
}
