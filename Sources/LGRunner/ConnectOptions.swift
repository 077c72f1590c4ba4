// The connect loop's command-line options, shared by `worker` (its default
// subcommand) and `lg-queue-worker` (the same loop with test kinds only).
import ArgumentParser
import Foundation
import LGNet
import LGLogging
import Logging

public struct ConnectOptions: ParsableArguments {
    @Option(help: "The coordinator's HOST:PORT.")
    public var connect: String = "127.0.0.1:7700"

    @Option(help: "Jobs run at once, each on cores / slots BLAS threads; or auto: one slot per core, and a paper-scale job (expected peak above 1 GB) on 2 cores where they are free, any other on 1 (docs/usage.md, \"Slots and memory\").")
    public var slots: SlotCount = .fixed(1)

    @Option(help: "Cores the jobs may use together (default: the usable cores of this host or cgroup).")
    public var cores: Int?

    @Option(help: ArgumentHelp("Memory the jobs may use together, e.g. 20G (default: the host's, or its cgroup limit). A claimed job whose expected peak does not fit beside the running ones goes back to the queue until one finishes.", valueName: "size"))
    public var memoryLimit: String?

    @Option(help: "The shared secret file (a copy of the coordinator's expr/secret).")
    public var secret: String = "expr/secret"

    @Option(help: "Folder for job work directories.")
    public var workdir: String = "expr/work"

    @Option(help: "Name reported to the coordinator (default HOST:PID).")
    public var name: String?

    @Option(help: "Jobs of one cell (train jobs of one generator, predictor, seed and latent strategy: LSE, NSE-1, NSE-2) run together in one slot, one generator and predictor pass per step for all, up to this many (1: each job alone).")
    public var fuse: Int = 3

    @Option(help: "Seconds to let jobs checkpoint after SIGTERM before killing them.")
    public var stopGrace: Double = 30

    @Option(help: "Seconds between claims while the queue is empty.")
    public var poll: Double = 1

    @Option(help: "Longest wait in seconds between reconnection attempts.")
    public var maxBackoff: Double = 10

    @Flag(help: "Exit when the queue has nothing claimable and no job is running.")
    public var exitWhenIdle = false

    @Flag(help: "No per-slot progress lines.")
    public var quiet = false

    @OptionGroup public var logging: LogOptions

    public init() {}

    public func validate() throws {
        if case .fixed(let n) = slots, n < 1 { throw ValidationError("--slots must be at least 1, or auto") }
        if let c = cores, c < 1 { throw ValidationError("--cores must be at least 1") }
        guard (1...ServerMachine.maxFuse).contains(fuse) else { throw ValidationError("--fuse must be in 1...\(ServerMachine.maxFuse)") }
        if let m = memoryLimit, ByteCount.parse(m) == nil { throw ValidationError("--memory-limit: '\(m)' is not a size (e.g. 512M, 20G)") }
        guard poll > 0, maxBackoff > 0, stopGrace >= 0 else { throw ValidationError("--poll and --max-backoff must be positive, --stop-grace not negative") }
        _ = try Socket.parse(connect)
    }

    /// Runs the connect loop with `registry`'s job kinds until the queue is
    /// drained (`--exit-when-idle`) or SIGTERM/SIGINT has drained the slots.
    /// `blasCore`: the OpenBLAS kernels the job processes run (the numeric
    /// worker passes `BLASCore.description`), logged at start.
    public func runWorker(registry: JobRegistry, blasCore: String? = nil) throws {
        let key = try SecretFile.load(secret)
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let host = HostResources.current()
        let budget = memoryLimit.flatMap(ByteCount.parse) ?? host.memoryBytes
        let cores = self.cores ?? host.cores
        let (slotCount, threads) = slots.resolve(cores: cores)
        let plan = slots.corePlan(cores: cores)
        var opts = WorkerOptions(address: connect, secret: key, slots: slotCount,
                                 name: name ?? "\(ProcessInfo.processInfo.hostName):\(getpid())",
                                 workRoot: (workdir as NSString).appendingPathComponent("\(getpid())"),
                                 registry: registry, executable: me)
        opts.stopGrace = stopGrace
        opts.pollInterval = poll
        opts.maxBackoff = maxBackoff
        opts.exitWhenIdle = exitWhenIdle
        opts.fuse = fuse
        opts.showProgress = !quiet
        opts.memoryBudget = budget
        opts.corePlan = plan
        opts.memoryTablePath = (workdir as NSString).appendingPathComponent("peak-memory.json")
        opts.secretPath = URL(fileURLWithPath: secret).standardizedFileURL.path
        opts.logger = logging.bootstrap("worker")
        opts.logger[metadataKey: "worker"] = "\(opts.name)"
        let layout = slots == .auto
            ? "\(slotCount) slot(s) on \(cores) core(s) (--slots auto: \(CorePlan.wideThreads) BLAS threads for a job expected above \(ByteCount.text(CorePlan.wideBytes)), 1 for others)"
            : "\(slotCount) slot(s) x \(threads) BLAS thread(s)"
        opts.logger.info("\(layout), \(ByteCount.text(budget)) for jobs, cells of up to \(fuse) job(s)\(blasCore.map { "; OpenBLAS core \($0)" } ?? "")")
        let runner = WorkerRunner(options: opts)
        // SIGUSR1 is Slurm's warning before the time limit (`--signal=B:USR1@N`);
        // SIGTERM its cancel. Both drain: checkpoint, upload, release, exit 0.
        // Repeats (Slurm may send the warning again) only set the flag again.
        let watch = SignalWatch([SIGTERM, SIGINT, SIGUSR1]) { _ in runner.requestStop() }
        if registry.kinds.isEmpty {
            FileHandle.standardError.write(Data("worker: no job kinds are registered in this build; nothing can be claimed\n".utf8))
        }
        withExtendedLifetime(watch) { runner.run() }
        try? FileManager.default.removeItem(atPath: opts.workRoot)
    }
}

extension SlotCount: ExpressibleByArgument {}
