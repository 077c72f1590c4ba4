import Foundation
import LGDomains
import LGModelIO
import LGModels

/// A trained segmenter on disk: safetensors with the UNet's torch keys (so
/// the registry's `face_unet` loader reads it), and in the metadata its
/// settings and held-out evaluation.
public enum SegmenterFiles {
    public static func save(_ trainer: SegmenterTrainer, evaluation: SegmenterEvaluation, to url: URL) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let meta = [
            "format": "lineargan-domain-segmenter",
            "settings": String(decoding: try enc.encode(trainer.settings), as: UTF8.self),
            "evaluation": String(decoding: try enc.encode(evaluation), as: UTF8.self),
            "config": String(decoding: try enc.encode(trainer.network.config), as: UTF8.self),
        ]
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Safetensors.write(trainer.network.checkpointStateDict(), metadata: meta, to: url)
    }

    /// The network stored in `url` with its settings.
    public static func load(_ url: URL) throws -> (network: FaceParser, settings: SegmenterSettings) {
        let (tensors, meta) = try Safetensors.read(url)
        guard meta["format"] == "lineargan-domain-segmenter", let s = meta["settings"], let c = meta["config"] else {
            throw ZooError.badFile(path: url.path, reason: "not a domain segmenter written by `worker train-segmenter`")
        }
        let settings = try JSONDecoder().decode(SegmenterSettings.self, from: Data(s.utf8))
        let config = try JSONDecoder().decode(FaceParserConfig.self, from: Data(c.utf8))
        return (try FaceParser(config: config, stateDict: StateDict(tensors, source: url.lastPathComponent)), settings)
    }

    /// Writes the segmenter in `source` to `destination` with its weights in
    /// half precision (F32 kept for a tensor beyond half's range, such as a
    /// large BatchNorm running variance), evaluates the stored network on `evaluationSamples`
    /// held-out renders and records that evaluation in the new file (the
    /// original's evaluation was of the float32 weights). Returns it.
    @discardableResult
    public static func storeHalf(_ source: URL, to destination: URL, evaluationSamples: Int,
                                 floats: Safetensors.FloatStorage = .f16WhereInRange) throws -> SegmenterEvaluation {
        let (network, settings) = try load(source)
        var meta = try Safetensors.readMetadata(source)
        meta["stored_as"] = "F16 (F32 where a tensor exceeds half's range) from \(source.lastPathComponent)"
        try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Safetensors.write(network.checkpointStateDict(), metadata: meta, floats: floats, to: destination)
        let stored = try load(destination).network
        let evaluation = SegmenterTrainer.evaluate(stored, domain: try Domains.named(settings.domain),
                                                   resolution: settings.resolution, samples: max(1, evaluationSamples))
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        meta["evaluation"] = String(decoding: try enc.encode(evaluation), as: UTF8.self)
        try Safetensors.write(stored.checkpointStateDict(), metadata: meta, floats: floats, to: destination)
        return evaluation
    }
}
