import Foundation

/// The PyTorch CPU figures lg-bench compares against: by default the ones
/// quoted in the issues for "this 2-core machine" (a slower VM and an older
/// PyTorch than many runs will see), or, with `--torch-reference FILE`, the
/// JSON that `scripts/torch-reference.py` measured on this machine, which
/// is the fair comparison.
struct TorchReference {
    var source: String
    var dcganForward: Double   // seconds, DCGAN-64 forward at batch 64
    var lseStep: Double
    var nse1Step: Double
    var nse2Step: Double
    /// Scene segmenter forward, seconds per image, by input ("256_b1", "256_b8", "64_b1"); measured only.
    var sceneForward: [String: Double] = [:]
    /// Which variant (default NCHW, channels_last, compile) was fastest, by the
    /// script's key; each figure above is that variant's (measured only).
    var best: [String: String] = [:]
    /// `--section job`: a train job's step by "generator:extractor" (measured only).
    var job: [String: JobStepTimes] = [:]

    /// `source`, with the winning variant of the figure stored under `key` when known.
    func describe(_ key: String) -> String {
        best[key].map { "\(source), best layout \($0)" } ?? source
    }

    static let quoted = TorchReference(source: "PyTorch figure quoted in the issues",
                                       dcganForward: 0.170, lseStep: 0.149, nse1Step: 0.517, nse2Step: 5.695)

    enum LoadError: Error, CustomStringConvertible {
        case unreadable(String, String)
        case missing(String, String)
        var description: String {
            switch self {
            case let .unreadable(path, why):
                return "cannot read the PyTorch reference \(path): \(why); write it with `python3 scripts/torch-reference.py --out \(path)`"
            case let .missing(path, key):
                return "the PyTorch reference \(path) has no number '\(key)'; rewrite it with `python3 scripts/torch-reference.py --out \(path)`"
            }
        }
    }

    /// Reads the JSON written by scripts/torch-reference.py (milliseconds).
    static func load(_ path: String) throws -> TorchReference {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) } catch {
            throw LoadError.unreadable(path, error.localizedDescription)
        }
        guard let json = object as? [String: Any] else { throw LoadError.unreadable(path, "not a JSON object") }
        func ms(_ key: String) throws -> Double {
            guard let v = json[key] as? Double, v > 0 else { throw LoadError.missing(path, key) }
            return v / 1000
        }
        let version = json["torch"] as? String ?? "?"
        let when = json["measured"] as? String ?? "?"
        // Since 2026-12-07 the script flushes subnormals (torch.set_flush_denormal), PyTorch's faster setting.
        let flush = (json["flush_denormal"] as? Bool).map { $0 ? ", subnormals flushed" : ", subnormals kept" } ?? ""
        var r = TorchReference(source: "PyTorch \(version) measured here \(when)\(flush)",
                               dcganForward: try ms("dcgan64_forward_b64_ms"), lseStep: try ms("lse_step_ms"),
                               nse1Step: try ms("nse1_step_ms"), nse2Step: try ms("nse2_step_ms"))
        r.best = json["best"] as? [String: String] ?? [:]
        for (key, value) in json["job"] as? [String: [String: Any]] ?? [:] {
            guard let g = value["generator_ms"] as? Double, let p = value["predictor_ms"] as? Double,
                  let e = value["extractor_ms"] as? Double else { throw LoadError.missing(path, "job.\(key).generator_ms/predictor_ms/extractor_ms") }
            r.job[key] = JobStepTimes(generator: g / 1000, predictor: p / 1000, extractor: e / 1000,
                                      peakMB: (value["peak_mb"] as? Double).map { Int($0) } ?? 0)
        }
        for key in ["256_b1", "256_b8", "64_b1"] {
            if let v = json["scene_\(key)_ms"] as? Double, v > 0 { r.sceneForward[key] = v / 1000 }
        }
        return r
    }
}
