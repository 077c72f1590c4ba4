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

    @Option(help: "Jobs run at once.")
    public var slots: Int = 1

    @Option(help: "The shared secret file (a copy of the coordinator's expr/secret).")
    public var secret: String = "expr/secret"

    @Option(help: "Folder for job work directories.")
    public var workdir: String = "expr/work"

    @Option(help: "Name reported to the coordinator (default HOST:PID).")
    public var name: String?

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
        guard slots >= 1 else { throw ValidationError("--slots must be at least 1") }
        guard poll > 0, maxBackoff > 0, stopGrace >= 0 else { throw ValidationError("--poll and --max-backoff must be positive, --stop-grace not negative") }
        _ = try Socket.parse(connect)
    }

    /// Runs the connect loop with `registry`'s job kinds until the queue is
    /// drained (`--exit-when-idle`) or SIGTERM/SIGINT has drained the slots.
    public func runWorker(registry: JobRegistry) throws {
        let key = try SecretFile.load(secret)
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var opts = WorkerOptions(address: connect, secret: key, slots: slots,
                                 name: name ?? "\(ProcessInfo.processInfo.hostName):\(getpid())",
                                 workRoot: (workdir as NSString).appendingPathComponent("\(getpid())"),
                                 registry: registry, executable: me)
        opts.stopGrace = stopGrace
        opts.pollInterval = poll
        opts.maxBackoff = maxBackoff
        opts.exitWhenIdle = exitWhenIdle
        opts.showProgress = !quiet
        opts.logger = logging.bootstrap("worker")
        opts.logger[metadataKey: "worker"] = "\(opts.name)"
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
