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
        let file = try loadWithMetadata(url)
        return (file.network, file.settings)
    }

    /// The network stored in `url`, its settings and the file's whole
    /// metadata (its recorded evaluation among them), from one read.
    public static func loadWithMetadata(_ url: URL) throws
        -> (network: FaceParser, settings: SegmenterSettings, metadata: [String: String]) {
        let (tensors, meta) = try Safetensors.read(url)
        let settings = try settings(in: meta, path: url.path)
        guard let c = meta["config"] else {
            throw ZooError.badFile(path: url.path, reason: "not a domain segmenter written by `worker train-segmenter`")
        }
        let config = try JSONDecoder().decode(FaceParserConfig.self, from: Data(c.utf8))
        return (try FaceParser(config: config, stateDict: StateDict(tensors, source: url.lastPathComponent)), settings, meta)
    }

    /// The settings a segmenter file records, from its header alone (no
    /// network is built).
    public static func settings(of url: URL) throws -> SegmenterSettings {
        try settings(in: Safetensors.readMetadata(url), path: url.path)
    }

    /// The held-out evaluation recorded in a segmenter file's metadata, if any.
    public static func evaluation(in metadata: [String: String]) -> SegmenterEvaluation? {
        metadata["evaluation"].flatMap { try? JSONDecoder().decode(SegmenterEvaluation.self, from: Data($0.utf8)) }
    }

    private static func settings(in meta: [String: String], path: String) throws -> SegmenterSettings {
        guard meta["format"] == "lineargan-domain-segmenter", let s = meta["settings"] else {
            throw ZooError.badFile(path: path, reason: "not a domain segmenter written by `worker train-segmenter`")
        }
        return try JSONDecoder().decode(SegmenterSettings.self, from: Data(s.utf8))
    }

    /// Writes `network` (read from a file named `sourceName`, whose metadata
    /// was `metadata`) to `destination` with its weights in half precision
    /// (F32 kept for a tensor beyond half's range, such as a large BatchNorm
    /// running variance). The weights are rounded in memory as the file will
    /// hold them; that network is evaluated on `evaluationSamples` held-out
    /// renders, and the evaluation (the original's was of the float32
    /// weights) is recorded in the file, written once. Returns it.
    @discardableResult
    public static func storeHalf(_ network: FaceParser, settings: SegmenterSettings, metadata: [String: String],
                                 sourceName: String, to destination: URL, evaluationSamples: Int,
                                 floats: Safetensors.FloatStorage = .f16WhereInRange) throws -> SegmenterEvaluation {
        var meta = metadata
        meta["stored_as"] = "F16 (F32 where a tensor exceeds half's range) from \(sourceName)"
        let rounded = try Safetensors.decode(Safetensors.encode(network.checkpointStateDict(), floats: floats))
            .tensors.mapValues { $0.floatTensor() }
        let stored = try FaceParser(config: network.config, stateDict: StateDict(rounded, source: destination.lastPathComponent))
        let evaluation = SegmenterTrainer.evaluate(stored, domain: try Domains.named(settings.domain),
                                                   resolution: settings.resolution, samples: max(1, evaluationSamples))
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        meta["evaluation"] = String(decoding: try enc.encode(evaluation), as: UTF8.self)
        try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        // Values already in half precision round to themselves: the file holds `stored`'s weights.
        try Safetensors.write(rounded, metadata: meta, floats: floats, to: destination)
        return evaluation
    }
}
