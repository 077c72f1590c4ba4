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
        let snap = optimizer.snapshot()
        for (gi, group) in snap.states.enumerated() {
            for (pi, st) in group.enumerated() {
                guard let st else { continue }
                tensors["adam_m/\(gi)/\(pi)"] = Tensor(shape: [st.m.count], data: st.m)
                tensors["adam_v/\(gi)/\(pi)"] = Tensor(shape: [st.v.count], data: st.v)
            }
        }
        let state = CheckpointState(settings: settings, step: step, rng: RandomState(rng),
                                    adamSteps: snap.states.map { $0.map { $0?.step } }, learningRates: snap.learningRates,
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
        try self.init(settings: state.settings)
        var net: [String: Tensor] = [:]
        for (k, t) in tensors where k.hasPrefix("net/") { net[String(k.dropFirst(4))] = t }
        do { try network.load(StateDict(net, source: "segmenter checkpoint")) } catch {
            throw ZooError.badFile(path: "segmenter checkpoint", reason: "its network does not match its settings: \(error)")
        }
        optimizer = Adam([ParameterGroup(network.parameters, learningRate: settings.learningRate)])
        var states: [[Adam.State?]] = []
        for (gi, group) in state.adamSteps.enumerated() {
            var g: [Adam.State?] = []
            for (pi, s) in group.enumerated() {
                guard let s else { g.append(nil); continue }
                guard let m = tensors["adam_m/\(gi)/\(pi)"], let v = tensors["adam_v/\(gi)/\(pi)"] else {
                    throw ZooError.badFile(path: "segmenter checkpoint", reason: "Adam moments of parameter \(pi) are missing")
                }
                g.append(Adam.State(step: s, m: m.data, v: v.data))
            }
            states.append(g)
        }
        try optimizer.restore(Adam.Snapshot(learningRates: state.learningRates, states: states))
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
