import Foundation
import LGCatalog
import LGStore
import LGJobKinds

/// Which registered models a batch of jobs needs whose weight files are not
/// on this host. Workers elsewhere may have them, so this informs rather
/// than refuses (`enqueue --require-weights` refuses).
struct WeightsCheck {
    struct Missing: Equatable {
        var kind: String          // "generator" or "predictor"
        var model: String
        var jobs: Int
        var expected: String      // the first path searched
        var obtain: String
    }
    var missing: [Missing] = []
    /// Names the jobs use that this host's registry does not know.
    var unknown: [String: Int] = [:]

    init(jobs: [NewJob], registry: ModelRegistry) {
        var byModel: [String: Missing] = [:]
        func note(_ kind: String, _ name: String, _ lookup: () throws -> ModelRegistry.WeightsLookup) {
            let key = kind + "/" + name
            if var m = byModel[key] { m.jobs += 1; byModel[key] = m; return }
            do {
                if case .missing(let searched, let obtain) = try lookup() {
                    byModel[key] = Missing(kind: kind, model: name, jobs: 1, expected: searched.first?.path ?? "(no path)", obtain: obtain)
                }
            } catch { unknown[name, default: 0] += 1 }
        }
        // Kinds whose table names a generator parameter load a registered generator and its predictor.
        for j in jobs {
            guard let name = JobKind(rawValue: j.kind)?.table.generatorParameter,
                  let g = j.params[name]?.stringValue else { continue }
            note("generator", g) { try registry.lookupWeights(generator: g, explicit: j.params["weights"]?.stringValue) }
            guard let p = try? registry.predictorName(forGenerator: g, override: j.params["predictor"]?.stringValue) else { continue }
            note("predictor", p) { try registry.lookupWeights(predictor: p, explicit: j.params["predictor_weights"]?.stringValue) }
        }
        missing = byModel.values.sorted { ($0.kind, $0.model) < ($1.kind, $1.model) }
    }

    var isComplete: Bool { missing.isEmpty && unknown.isEmpty }

    /// The report: one line per missing model (with `detailed`, how to
    /// obtain each too); `zooGrid` is a grid that runs the same table on the
    /// embedded zoo, when one exists.
    func report(grid: String, zooGrid: String?, detailed: Bool) -> String {
        var lines: [String] = []
        if !missing.isEmpty {
            lines.append("weights missing on this host for \(missing.count) model(s) of grid \(grid) (workers on other hosts may have them; a worker without them fails the job at once, without retries):")
            for m in missing {
                lines.append("  \(m.kind) \(m.model) (\(m.jobs) job\(m.jobs == 1 ? "" : "s")): expected \(m.expected)")
                if detailed { lines.append("    how to obtain: \(m.obtain)") }
            }
        }
        for (name, n) in unknown.sorted(by: { $0.key < $1.key }) {
            lines.append("  '\(name)' (\(n) job\(n == 1 ? "" : "s")) is not registered on this host (configs/); `worker models` lists what is")
        }
        if let zooGrid, !isComplete {
            lines.append("The embedded zoo runs the same table without downloads: coordinator enqueue \(zooGrid)")
        }
        lines.append(detailed ? "`worker models --explain` says where each file is looked for."
                              : "How to obtain each: `worker models --explain` (or --require-weights to refuse such a grid with the details).")
        return lines.joined(separator: "\n")
    }
}
