import Foundation
import LGCatalog
import LGTensor

/// The classes a scene segmenter labels images with: LinearGAN's zero
/// background channel followed by chosen ADE20K output channels.
public struct SceneLabelSelection: Sendable, Equatable {
    /// Label names, index = label value; `names[0]` is the background.
    public var names: [String]
    /// The network's output channel of label k + 1, for each k.
    public var channels: [Int]

    public init(names: [String], channels: [Int]) {
        precondition(names.count == channels.count + 1, "SceneLabelSelection: \(names.count) names for \(channels.count) channels + background")
        self.names = names; self.channels = channels
    }

    /// Every channel (LinearGAN's `--full-label 1`), named `class{i}` unless names are given.
    public static func all(classes: Int, names: [String]? = nil) -> SceneLabelSelection {
        let n = names ?? (0..<classes).map { "class\($0)" }
        return SceneLabelSelection(names: ["background"] + n, channels: Array(0..<classes))
    }

    /// (N, K+1, H, W): a zero channel, then `channels` of logits (N, C, H, W)
    /// in order (LinearGAN's `raw_prediction`).
    public func select(_ logits: Tensor) -> Tensor {
        precondition(logits.rank == 4, "SceneLabelSelection: logits must be (N, C, H, W), got \(logits.shape)")
        let n = logits.shape[0], c = logits.shape[1], p = logits.shape[2] * logits.shape[3], k = channels.count + 1
        precondition(channels.allSatisfy { (0..<c).contains($0) }, "SceneLabelSelection: channels \(channels) outside 0..<\(c)")
        var out = [Float](repeating: 0, count: n * k * p)
        logits.data.withUnsafeBufferPointer { src in
            for i in 0..<n {
                for (j, ch) in channels.enumerated() {
                    let from = (i * c + ch) * p, to = (i * k + j + 1) * p
                    for q in 0..<p { out[to + q] = src[from + q] }
                }
            }
        }
        return Tensor(shape: [n, k, logits.shape[2], logits.shape[3]], data: out)
    }
}

/// The ADE20K class list and LinearGAN's per-GAN class choices
/// (`ade20k_labels.csv`, `selected_labels.csv`), as `predictors/scene_segmenter.py` reads them.
public enum ADE20KLabels {
    /// Label names from `ade20k_labels.csv` (`ADE20KCSV.names`).
    public static func names(csv text: String) -> [String] { ADE20KCSV.names(csv: text) }

    /// The class names `selected_labels.csv` lists for `model` (`ADE20KCSV.selected`).
    public static func selected(csv text: String, model: String) -> [String]? { ADE20KCSV.selected(csv: text, model: model) }

    /// LinearGAN's selection for the chosen names: channel = (first index of
    /// the name in `names`) - 1, in the given order, with background prepended.
    public static func selection(labels: [String], names: [String]) throws -> SceneLabelSelection {
        var channels: [Int] = []
        for l in labels {
            guard let i = names.firstIndex(of: l), i >= 1 else {
                throw ModelError.invalidConfig("ADE20K class '\(l)' is not in ade20k_labels.csv (or is the background); fix selected_labels.csv")
            }
            channels.append(i - 1)
        }
        return SceneLabelSelection(names: ["background"] + labels, channels: channels)
    }

    /// The selection for `model` from the two CSV files' text.
    public static func selection(model: String, labelsCSV: String, selectedCSV: String) throws -> SceneLabelSelection {
        guard let labels = selected(csv: selectedCSV, model: model) else {
            throw ModelError.invalidConfig("selected_labels.csv has no row for '\(model)'; add one (model name, then ADE20K class names)")
        }
        return try selection(labels: labels, names: names(csv: labelsCSV))
    }
}

/// The scene segmenter labels generated images with `labelSelection`'s
/// classes, as LinearGAN's `SceneSegmenter.__call__`/`raw_prediction`:
/// images in [-1, 1] are normalised, the network runs at their own size, the
/// selected channels follow a zero background channel, argmax ties go to
/// the lowest index.
///
/// A label resolution other than the image size resizes these logits
/// (bilinear, align_corners=True). The reference's branch for that case
/// resizes the network's *input* instead (`bu(x, size)`, a bug that never
/// fires in LinearGAN: its scene GANs and labels are all 256 px).
extension SceneSegmenter: SegmentationPredictor {
    public var classNames: [String] { labelSelection.names }

    public func logits(image: Tensor, labelResolution: Int?) -> Tensor {
        let full = forward(SceneSegmenter.normalize(images: image)).logits
        var out = labelSelection.select(full)
        if let r = labelResolution, r != out.shape[2] || r != out.shape[3] {
            out = out.resizeBilinear(height: r, width: r, alignCorners: true)
        }
        return out
    }
}
