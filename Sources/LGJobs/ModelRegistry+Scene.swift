import Foundation
import LGModels

extension ModelRegistry {
    /// The scene segmenter's classes for a label set: `ade20k_selected/{G}`
    /// (LinearGAN: background + G's row of selected_labels.csv, channel =
    /// index in ade20k_labels.csv - 1) or `ade20k` (every channel).
    public func sceneLabelSelection(labelSet name: String, classes: Int) throws -> SceneLabelSelection {
        guard let dir = configDirectory else { throw RegistryError.unknownLabelSet(name: name, reason: "no config folder") }
        let names = try ade20kNames("ade20k_labels.csv")
        if name.hasPrefix("ade20k_selected/") {
            let g = String(name.dropFirst("ade20k_selected/".count))
            let url = dir.appendingPathComponent("selected_labels.csv")
            guard let labels = ADE20KLabels.selected(csv: try readText(url), model: g) else {
                throw RegistryError.unknownLabelSet(name: name, reason: "\(url.path) has no row for '\(g)'")
            }
            do { return try ADE20KLabels.selection(labels: labels, names: names) } catch {
                throw RegistryError.unknownLabelSet(name: name, reason: "\(error)")
            }
        }
        guard name == "ade20k" else {
            throw RegistryError.unknownLabelSet(name: name, reason: "a scene segmenter labels 'ade20k' or 'ade20k_selected/{G}'")
        }
        return .all(classes: classes, names: names.count == classes + 1 ? Array(names.dropFirst()) : nil)
    }
}
