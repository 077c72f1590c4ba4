import Foundation

/// LinearGAN's two ADE20K files as `predictors/scene_segmenter.py` reads them:
/// the class list (`ade20k_labels.csv`) and the per-GAN class choices
/// (`selected_labels.csv`).
public enum ADE20KCSV {
    /// Label names from `ade20k_labels.csv`: per data row (header skipped), the
    /// last comma field cut at its first ';' and trimmed. Row 0 is "background",
    /// so name k + 1 is output channel k.
    public static func names(csv text: String) -> [String] {
        text.split(whereSeparator: \.isNewline).dropFirst().map { line in
            let last = line.split(separator: ",", omittingEmptySubsequences: false).last ?? ""
            return String(last.split(separator: ";", omittingEmptySubsequences: false).first ?? "").trimmingCharacters(in: .whitespaces)
        }
    }

    /// The class names `selected_labels.csv` lists for `model` (a row: the
    /// model name, then class names), or nil when it has no such row.
    public static func selected(csv text: String, model: String) -> [String]? {
        for line in text.split(whereSeparator: \.isNewline) {
            let items = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            if items.first == model { return items.dropFirst().filter { !$0.isEmpty } }
        }
        return nil
    }
}
