import Foundation
import LGJobKinds
import LGTensor
import LGModelIO
import LGModels
import LGSemantics

extension RandomState {
    /// The generator, or `JobError.corruptCheckpoint` naming what is wrong.
    func restored() throws -> SeededRandom {
        try random().mapError { JobError.corruptCheckpoint($0.description) }.get()
    }
}

/// Everything a job needs to continue exactly where it stopped; saved
/// through `JobCheckpointing` as one safetensors blob: extractor parameters,
/// their accumulated gradients and Adam moments as tensors, the rest as
/// JSON in the metadata.
struct JobState: Codable {
    static let formatTag = "lineargan-job-checkpoint"

    var kind: JobKind
    var name: String
    /// The job's parameters; a checkpoint resumes only the same job.
    var record: [String: String]
    var phase: JobProgress.Phase = .training
    /// Training steps completed.
    var step = 0
    var rngs: [String: RandomState] = [:]
    /// Few-shot: the noise state the current features were generated from.
    var featureNoise: RandomState?
    var adamSteps: [[Int?]] = []
    var learningRates: [Float] = []
    var epochIoU: IoUAccumulator?
    var epochLossSum: Double = 0
    var epochLossCount = 0
    var history: [EpochSummary] = []
    var trainSeconds: Double = 0
    var evalStep = 0
    var evalIoU: IoUAccumulator?
    var evalSeconds: Double = 0
    var arch: ExtractorArch?
    var extractorPath: String?
    var result: JobReport?

    init(kind: JobKind, name: String, record: [String: String]) {
        self.kind = kind; self.name = name; self.record = record
    }

    /// Encodes the state with the extractor's parameters and gradients and the optimiser's moments.
    func encode(extractor: (any SemanticExtractor)?, optimizer: Adam?) throws -> Data {
        var s = self
        var tensors: [String: Tensor] = [:]
        if let se = extractor {
            s.arch = se.arch
            for (k, p) in se.namedParameters {
                tensors["param/" + k] = p.value
                if let g = p.grad { tensors["grad/" + k] = g }
            }
        }
        if let opt = optimizer {
            let (meta, moments) = opt.exportState(keys: JobState.momentKeys)
            s.learningRates = meta.learningRates
            s.adamSteps = meta.steps
            tensors.merge(moments) { a, _ in a }
        }
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let json = String(decoding: try enc.encode(s), as: UTF8.self)
        return Data(try Safetensors.encode(tensors, metadata: ["format": JobState.formatTag, "state": json]))
    }

    /// Decodes a blob written by `encode`.
    static func decode(_ data: Data) throws -> (state: JobState, tensors: [String: Tensor]) {
        let raw: (tensors: [String: TorchTensor], metadata: [String: String])
        do { raw = try Safetensors.decode([UInt8](data)) } catch {
            throw JobError.corruptCheckpoint("\(error)")
        }
        guard raw.metadata["format"] == formatTag, let json = raw.metadata["state"] else {
            throw JobError.corruptCheckpoint("not a job checkpoint (format \(raw.metadata["format"] ?? "none"))")
        }
        let dec = JSONDecoder()
        dec.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let state: JobState
        do { state = try dec.decode(JobState.self, from: Data(json.utf8)) } catch {
            throw JobError.corruptCheckpoint("state: \(error)")
        }
        return (state, raw.tensors.mapValues { $0.floatTensor() })
    }

    /// Puts saved parameters and gradients into `extractor` and the moments into `optimizer`.
    func restore(extractor se: any SemanticExtractor, optimizer: Adam?, tensors: [String: Tensor]) throws {
        var params: [String: Tensor] = [:]
        for (k, t) in tensors where k.hasPrefix("param/") { params[String(k.dropFirst(6))] = t }
        try se.load(params, source: "job checkpoint")
        for (k, p) in se.namedParameters {
            p.grad = tensors["grad/" + k].map { $0.reshaped(p.shape) }
        }
        guard let opt = optimizer else { return }
        do {
            try opt.importState(Adam.StateMeta(learningRates: learningRates, steps: adamSteps), tensors: tensors,
                                keys: JobState.momentKeys)
        } catch {
            throw JobError.corruptCheckpoint("\(error)")
        }
    }

    /// Where the optimiser's moments live in a job checkpoint (part of the format).
    static let momentKeys = Adam.MomentKeys(m: "adam_m/", v: "adam_v/")

    func rng(_ name: String) throws -> SeededRandom {
        guard let r = rngs[name] else { throw JobError.corruptCheckpoint("no random state '\(name)'") }
        return try r.restored()
    }
}
