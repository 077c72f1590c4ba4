import ArgumentParser
import Foundation
import LGJobs
import LGTensor

/// `worker models`: the registered generators and predictors and whether
/// their weights are present.
struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List registered generators and predictors and whether their weights are present.",
        discussion: """
        The registry is configs/ (generators.json, predictors.json, labels.json) of the \
        repository, or $LINEARGAN_CONFIGS. Weights are searched in the reference layout \
        (models/pretrain/pytorch/, predictors/pretrain/), in $LINEARGAN_WEIGHTS and in the \
        model cache ($LINEARGAN_CACHE or ./cache).
        """
    )

    @OptionGroup var catalog: RegistryOptions

    @Flag(help: "Also list test-only fixture entries.")
    var all = false

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Flag(help: "Explain how to obtain each missing weight file.")
    var explain = false

    func run() throws {
        let registry = try catalog.registry()
        let rows = registry.status().filter { all || !$0.testOnly }
        if json {
            let e = JSONEncoder()
            e.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try e.encode(rows), as: UTF8.self))
            return
        }
        let nameWidth = max(10, rows.map(\.name.count).max() ?? 0)
        let detailWidth = max(10, rows.map(\.detail.count).max() ?? 0)
        func pad(_ s: String, _ w: Int) -> String { s.padding(toLength: max(w, s.count), withPad: " ", startingAt: 0) }
        print(pad("kind", 10) + " " + pad("name", nameWidth) + " " + pad("weights", 8) + " " + pad("details", detailWidth) + " path")
        for r in rows {
            var weights = r.weightsPresent ? "present" : "missing"
            if r.path.isEmpty { weights = "-" }
            var line = pad(r.kind, 10) + " " + pad(r.name, nameWidth) + " " + pad(weights, 8) + " " + pad(r.detail, detailWidth) + " " + r.path
            if !r.runnable { line += "  [not runnable" + (r.note.map { ": \($0)" } ?? "") + "]" }
            print(line)
        }
        print("\nOpenBLAS core: \(BLASCore.description); own kernels: \(KernelISA.current.rawValue) (CPU's best \(KernelISA.best.rawValue)); GEMMs: \(GEMMKernel.description)")
        if explain {
            for r in rows where !r.weightsPresent && !r.path.isEmpty {
                do {
                    if r.kind == "generator" { _ = try registry.generatorWeights(r.name) } else { _ = try registry.predictorWeights(r.name) }
                } catch {
                    print("\n\(r.name): \(error)")
                }
            }
        }
    }
}
