import ArgumentParser
import LGLogging
import Foundation
import LGStore
import LGGrid
import LGCatalog

/// `coordinator enqueue GRID`: expands a grid file into jobs (idempotent).
struct Enqueue: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Expand a grid (jobs/GRID.json) into jobs; existing jobs are not added again.",
        discussion: "Example: coordinator enqueue sr_all_method --preset quick --set G=stylegan2_ffhq,pggan_celebahq")

    @OptionGroup var queue: QueueOptions

    @Argument(help: "Grid name (a file jobs/NAME.json).")
    var grid: String

    @Option(help: "Preset defined in the grid file (e.g. quick, full).")
    var preset: String?

    @Option(name: .customLong("set"), help: "AXIS=v1,v2 keeps those axis values; PARAM=value overrides a fixed parameter; winograd=off|inference|always adds the convolution policy to train / train_fewshot jobs; predictor=NAME labels train / train_fewshot / evaluate / scs jobs with that registered predictor instead of the generator's. Repeatable.")
    var sets: [String] = []

    @Option(help: "Directory of grid files.")
    var grids: String = "jobs"

    @Flag(help: "Print the jobs without enqueueing them.")
    var dryRun = false

    @Flag(help: "Refuse the grid when a generator or predictor it needs has no weight file on this host.")
    var requireWeights = false

    @Option(help: "Registry folder to check weights against (default: ./configs or $LINEARGAN_CONFIGS).")
    var configs: String?

    func run() throws {
        let lib = GridLibrary(directory: grids)
        let jobs: [NewJob]
        do { jobs = try lib.expand(grid, preset: preset, sets: sets) } catch let e as GridError {
            throw CommandFailure(e.description)
        }
        // Which weights the jobs need that this host lacks (informative: the
        // workers may run elsewhere). A grid over the zoo is offered instead.
        let registry: ModelRegistry?
        do {
            registry = try configs.map { try ModelRegistry(configDirectory: URL(fileURLWithPath: $0)) } ?? ModelRegistry.standard()
        } catch {
            registry = nil
            FileHandle.standardError.write(Data("note: weights not checked: \(error)\n".utf8))
            if requireWeights { throw EnqueueFailure(text: "--require-weights needs the model registry: \(error)") }
        }
        if let registry {
            let check = WeightsCheck(jobs: jobs, registry: registry)
            if !check.isComplete {
                let zoo = grid.hasSuffix("_zoo") ? nil : lib.names().first { $0 == grid + "_zoo" }
                if requireWeights {
                    throw EnqueueFailure(text: check.report(grid: grid, zooGrid: zoo, detailed: true) + "\nNothing was enqueued (--require-weights).")
                }
                FileHandle.standardError.write(Data(("warning: " + check.report(grid: grid, zooGrid: zoo, detailed: false) + "\n").utf8))
            }
        }
        if dryRun {
            for j in jobs { print(j.key) }
            print("\(jobs.count) jobs")
            return
        }
        let store = try JobStore(path: queue.db)
        let r = try store.enqueue(jobs)
        print("grid \(grid): \(r.added) new, \(r.existing) already queued or done (\(jobs.count) total)")
    }
}

/// A refusal at run time (not a mistyped command: no usage line).
struct EnqueueFailure: Error, CustomStringConvertible {
    var text: String
    var description: String { text }
}
