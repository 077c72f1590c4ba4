// What makes a sample's labels the same in two jobs: the generator and
// predictor (names, registry entries and weight-file contents), the label
// resolution, and the sample's place in its random stream. Part of the
// label cache's key (LabelCache).
import Foundation
import LGDigest
import Synchronization
import LGTensor
import LGModels

/// The label-cache key prefix of a pair of loaded models, or nil when their
/// samples cannot be shared: a weight file that is not found (a model built
/// in code), or a generator with randomised noise (its images depend on how
/// many forwards came before, not only on the latent).
public struct LabelStream: Sendable, Equatable {
    public let identity: String

    /// The key of sample `index` of the `stream` ("latents" of training,
    /// "eval" of evaluation) drawn with `strategy` from `seed`.
    public func key(stream: String, seed: UInt64, strategy: LatentStrategy, index: Int) -> String {
        "\(identity)|\(stream)|seed=\(seed)|\(strategy.rawValue)|\(index)"
    }

    /// `fullLabel`: the predictor labels all of its label set, not the
    /// generator's selection (`full_label=1`); the two never share entries.
    static func make(choice: ModelChoice, predictorName: String, labelResolution: Int, fullLabel: Bool = false,
                     generator: any Generator, registry: ModelRegistry) -> LabelStream? {
        guard !NoiseRandomness.isRandomized(generator),
              case .found(let gw)? = try? registry.lookupWeights(generator: choice.generator, explicit: choice.generatorWeights),
              case .found(let pw)? = try? registry.lookupWeights(predictor: predictorName, explicit: choice.predictorWeights),
              let ge = try? registry.generatorEntry(choice.generator), let pe = try? registry.predictorEntry(predictorName),
              let gd = FileDigest.sha256(gw), let pd = FileDigest.sha256(pw) else { return nil }
        let enc = JSONEncoder(); enc.outputFormatting = [.sortedKeys]
        func digest(_ d: Data?) -> String { d.map { SHA256Hex.of($0) } ?? "-" }
        return LabelStream(identity: "v1|G=\(choice.generator)|gcfg=\(digest(try? enc.encode(ge)))|gw=\(gd)"
                           + "|P=\(predictorName)|pcfg=\(digest(try? enc.encode(pe)))|pw=\(pd)|res=\(labelResolution)"
                           + (fullLabel ? "|full" : ""))
    }
}

/// SHA-256 of weight files, computed once per file version (path, size,
/// mtime) in a process.
enum FileDigest {
    private static let known = Mutex<[String: String]>([:])

    static func sha256(_ url: URL) -> String? {
        guard let a = try? FileManager.default.attributesOfItem(atPath: url.path) else { return nil }
        let version = "\(url.path)|\((a[.size] as? NSNumber)?.int64Value ?? -1)|\((a[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"
        if let d = known.withLock({ $0[version] }) { return d }
        guard let d = try? SHA256Hex.ofFile(url.path) else { return nil }
        known.withLock { $0[version] = d }
        return d
    }
}
