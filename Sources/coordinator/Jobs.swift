import ArgumentParser
import Foundation
import LGStore

extension JobState: ExpressibleByArgument {}

/// `coordinator jobs`: lists jobs.
struct Jobs: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List jobs (optionally by state and grid).")

    @OptionGroup var queue: QueueOptions
    @Option(help: "queued, running, succeeded, failed or cancelled.") var state: JobState?
    @Option(help: "Only this grid.") var grid: String?
    @Flag(help: "One JSON object per job, with its metrics.") var json = false

    func run() throws {
        let store = try JobStore(path: queue.db)
        let jobs = try store.jobs(state: state, grid: grid)
        if json {
            let enc = JSONEncoder(); enc.outputFormatting = [.sortedKeys]
            struct Out: Encodable { var job: JobRecord; var metrics: [String: Double] }
            for j in jobs {
                print(String(decoding: try enc.encode(Out(job: j, metrics: try store.metrics(jobID: j.id))), as: UTF8.self))
            }
            return
        }
        for j in jobs {
            let params = j.params.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            var line = "\(j.id)\t\(j.state.rawValue)\t\(j.grid)\t\(j.kind)\tattempt \(j.attempt)/\(j.maxAttempts)\t\(params)"
            if let e = j.lastError, j.state != .succeeded { line += "\n\terror: " + e.split(separator: "\n").suffix(3).joined(separator: " | ") }
            print(line)
        }
    }
}

/// `coordinator retry --failed`.
struct Retry: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Put failed (or cancelled) jobs back in the queue with a fresh attempt budget.")
    @OptionGroup var queue: QueueOptions
    @Flag(help: "Retry every failed job (of --grid).") var failed = false
    @Flag(help: "Also retry cancelled jobs.") var cancelled = false
    @Option(help: "Only this grid.") var grid: String?
    @Argument(help: "Job ids.") var ids: [Int] = []

    func validate() throws {
        if !failed && !cancelled && ids.isEmpty { throw ValidationError("give job ids, --failed or --cancelled") }
    }

    func run() throws {
        let store = try JobStore(path: queue.db)
        let n = try store.retry(grid: grid, ids: ids.isEmpty ? nil : ids, includeCancelled: cancelled)
        print("requeued \(n) jobs")
    }
}

/// `coordinator cancel`.
struct Cancel: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Cancel queued/running jobs (running ones stop at their next heartbeat).")
    @OptionGroup var queue: QueueOptions
    @Option(help: "Cancel every unfinished job of this grid.") var grid: String?
    @Flag(help: "Cancel every unfinished job.") var all = false
    @Argument(help: "Job ids.") var ids: [Int] = []

    func validate() throws {
        if grid == nil && !all && ids.isEmpty { throw ValidationError("give job ids, --grid G or --all") }
    }

    func run() throws {
        let store = try JobStore(path: queue.db)
        let n = try store.cancel(grid: grid, ids: ids.isEmpty ? nil : ids)
        print("cancelled \(n) jobs")
    }
}

struct Prioritize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Set the priority of unfinished jobs (higher is claimed first; default 0).",
        discussion: "Example: coordinator prioritize --priority 10 --grid sr_all_method_zoo   # or job ids; --priority -1 runs them after the default")
    @OptionGroup var queue: QueueOptions
    // Unconditional: `--priority -1` is a value, not an unknown option.
    @Option(parsing: .unconditional, help: "The new priority (higher runs first; negative runs after the default 0).") var priority: Int
    @Option(help: "Every unfinished job of this grid.") var grid: String?
    @Argument(help: "Job ids.") var ids: [Int] = []

    func validate() throws {
        if grid == nil && ids.isEmpty { throw ValidationError("give job ids or --grid G") }
    }

    func run() throws {
        let store = try JobStore(path: queue.db)
        let n = try store.setPriority(priority, grid: grid, ids: ids.isEmpty ? nil : ids)
        print("set priority \(priority) on \(n) unfinished jobs")
    }
}
