import ArgumentParser
import Foundation
import LGStore

/// `coordinator workers`: the workers that connected, where they run.
struct Workers: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List workers: state, host, slots, last contact and Slurm job / array task ids.")

    @OptionGroup var queue: QueueOptions
    @Flag(help: "Connected workers only.") var connected = false
    @Flag(help: "One JSON object per worker.") var json = false

    func run() throws {
        let store = try JobStore(path: queue.db)
        let workers = try store.workers().filter { !connected || $0.connected }
        if json {
            let enc = JSONEncoder(); enc.outputFormatting = [.sortedKeys]
            for w in workers { print(String(decoding: try enc.encode(w), as: UTF8.self)) }
            return
        }
        guard !workers.isEmpty else { print("no worker has connected to \(queue.db) yet"); return }
        print(WorkerTable.lines(workers, now: Date().timeIntervalSince1970).joined(separator: "\n"))
    }
}

/// The workers as `coordinator workers` and `coordinator status` print them.
enum WorkerTable {
    static func lines(_ workers: [WorkerRecord], now: Double) -> [String] {
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
        var out = [pad("worker", 24) + pad("state", 13) + pad("host", 16) + pad("slots", 6) + pad("last seen", 10) + "slurm job/task"]
        for w in workers {
            let slurm = w.info.slurmJobID.map { $0 + (w.info.slurmArrayTaskID.map { "_\($0)" } ?? "") } ?? "-"
            out.append(pad(w.name, 24) + pad(w.connected ? "connected" : "disconnected", 13) + pad(w.info.host, 16)
                       + pad(String(w.info.slots), 6) + pad(DurationText.short(max(0, now - w.lastSeen)) + " ago", 10) + slurm)
        }
        return out
    }
}
