import ArgumentParser
import Foundation
import LGStore

/// `coordinator status`: counts by state and the running jobs.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Counts by state, per grid, and the running jobs with worker, progress, rate and ETA.")

    @OptionGroup var queue: QueueOptions

    @Option(help: "Only this grid.")
    var grid: String?

    func run() throws {
        let store = try JobStore(path: queue.db)
        let counts = try store.counts(grid: grid)
        print(JobState.allCases.map { "\($0.rawValue) \(counts[$0] ?? 0)" }.joined(separator: "  "))
        let grids = grid == nil ? try store.gridSummaries() : []
        if grids.count > 1 {
            print("")
            print(pad("grid", 22) + pad("done", 12) + pad("running", 9) + pad("queued", 8) + pad("failed", 8) + "progress")
            for g in grids {
                print(pad(g.grid, 22) + pad("\(g.count(.succeeded))/\(g.total)", 12) + pad(String(g.count(.running)), 9)
                      + pad(String(g.count(.queued)), 8) + pad(String(g.count(.failed)), 8)
                      + String(format: "%.0f%%", g.fractionDone * 100))
            }
        }
        let now = Date().timeIntervalSince1970
        let workers = try store.workers().filter(\.connected)
        if !workers.isEmpty {
            print("")
            print(WorkerTable.lines(workers, now: now).joined(separator: "\n"))
        }
        let running = try store.jobs(state: .running, grid: grid)
        guard !running.isEmpty else { return }
        print("")
        print(pad("id", 6) + pad("kind", 14) + pad("worker", 22) + pad("progress", 10) + pad("rate", 12) + pad("eta", 10) + "params")
        for j in running {
            let eta = j.secondsLeft(now: now).map(DurationText.short) ?? "?"
            let rate = j.rate.map { String(format: "%.2f/s", $0) } ?? "-"
            let params = j.params.filter { ["G", "SE", "num_sample", "repeat", "repeat_ind", "loss", "layer_weight", "family", "domain"].contains($0.key) }
                .sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            print(pad(String(j.id), 6) + pad(j.kind, 14) + pad(j.leaseOwner ?? "-", 22)
                  + pad(String(format: "%.1f%%", j.progress * 100), 10) + pad(rate, 12) + pad(eta, 10) + params)
        }
    }

    func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
}
