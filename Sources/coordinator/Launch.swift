import ArgumentParser
import LGLogging
import Foundation
import LGCluster
import LGStore
import LGNet

/// `coordinator launch`: start workers through a cluster scheduler.
struct Launch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start workers through a cluster scheduler (Slurm).",
        subcommands: [LaunchSlurm.self])
}

/// `coordinator launch slurm`: one `sbatch` job per worker.
struct LaunchSlurm: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slurm",
        abstract: "Submit workers to Slurm with sbatch (one job each) and keep the queue served.",
        discussion: """
        Each Slurm job execs `worker --connect ADDRESS --slots S --exit-when-idle`, so the worker is the \
        batch shell: Slurm's time-limit warning (--signal=B:USR1@WARNING) and scancel drain it (jobs \
        checkpoint, go back to the queue without spending an attempt; the worker exits 0). Separate jobs, \
        not an array: Slurm 22.05 re-sends a signal to an array task forever while two or more tasks pend.
        The secret is read from its file on the nodes; it is never on a command line or in the script.
        With --adapt (the default) this command stays in the foreground, submitting workers while jobs \
        are queued (up to --workers, never more pending workers than queued jobs) until the queue is drained. \
        docs/cluster.md has the whole recipe.

        Example: coordinator launch slurm --workers 8 --slots 2 --cpus-per-task 8 --time 4:00:00 --partition cpu
        """)

    @OptionGroup var queue: QueueOptions

    @Option(help: "Workers (Slurm jobs) to keep submitted.")
    var workers: Int = 1
    @Option(help: "Job slots per worker.")
    var slots: Int = 1
    @Option(help: "CPUs per worker (default: slots). BLAS threads per slot = CPUs / slots.")
    var cpusPerTask: Int?
    @Option(help: "Memory per worker as Slurm reads it (e.g. 16G). Default: --mem-per-slot times slots.")
    var mem: String?
    @Option(help: "Memory per slot when --mem is not given, in GiB. 6 is above the largest measured paper-scale job (StyleGAN2-FFHQ-1024 with NSE-2: 5.4 GB; zoo jobs ~0.1 GB; docs/cluster.md).")
    var memPerSlot: Double = 6
    @Option(help: "Time limit per worker as Slurm reads it (minutes, HH:MM:SS, D-HH:MM).")
    var time: String = "60"
    @Option(help: "Seconds before the time limit that Slurm warns the worker (SIGUSR1) so it drains.")
    var warning: Int = 120
    @Option(help: "Seconds a draining worker waits for its jobs to checkpoint; keep it below the cluster's KillWait.")
    var stopGrace: Int = 8
    @Option(help: "Slurm partition.")
    var partition: String?
    @Option(help: "Slurm account.")
    var account: String?
    @Option(name: .customLong("sbatch-arg"), parsing: .unconditionalSingleValue, help: "Another sbatch option for the script (repeatable), e.g. --sbatch-arg=--qos=long.")
    var sbatchArgs: [String] = []
    @Option(help: "The shared secret file (default: beside --db). It must be readable on the nodes (shared file system).")
    var secret: String?
    @Option(help: "HOST:PORT the workers dial (default: this host's name and port 7700).")
    var address: String?
    @Option(help: "The workers' working folder (job work directories, Slurm output; default: beside --db).")
    var workdir: String?
    @Option(help: "The worker executable as the nodes see it (default: `worker` beside this coordinator).")
    var worker: String?
    @Flag(inversion: .prefixedNo, help: "Keep submitting workers while jobs are queued, until the queue is drained.")
    var adapt = true
    @Option(help: "Seconds between adapt rounds.")
    var poll: Double = 10
    @Flag(help: "Print the batch script and what would be submitted; submit nothing.")
    var dryRun = false

    func validate() throws {
        guard workers >= 1, slots >= 1 else { throw ValidationError("--workers and --slots must be at least 1") }
        if let c = cpusPerTask, c < 1 { throw ValidationError("--cpus-per-task must be at least 1") }
        guard warning > 0, stopGrace >= 0, poll > 0, memPerSlot > 0 else {
            throw ValidationError("--warning, --poll and --mem-per-slot must be positive, --stop-grace not negative")
        }
    }

    func resolved() throws -> SlurmLaunch {
        let fm = FileManager.default
        func absolute(_ p: String) -> String {
            p.hasPrefix("/") ? p : (fm.currentDirectoryPath as NSString).appendingPathComponent(p)
        }
        let root = absolute((queue.db as NSString).deletingLastPathComponent.isEmpty ? "." : (queue.db as NSString).deletingLastPathComponent)
        let secretPath = absolute(secret ?? (root as NSString).appendingPathComponent("secret"))
        guard fm.fileExists(atPath: secretPath) else {
            throw CommandFailure("no secret at \(secretPath): start `coordinator serve --db \(queue.db)` once (it creates it) or give --secret")
        }
        if let mode = (try? fm.attributesOfItem(atPath: secretPath))?[.posixPermissions] as? Int, mode & 0o077 != 0 {
            throw CommandFailure("\(secretPath) is readable by others (mode \(String(mode, radix: 8))): chmod 600 it first")
        }
        let me = (try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let workerPath = absolute(worker ?? ((me as NSString).deletingLastPathComponent as NSString).appendingPathComponent("worker"))
        guard fm.isExecutableFile(atPath: workerPath) else {
            throw CommandFailure("no worker executable at \(workerPath): build it (swift build -c release --product worker) or give --worker")
        }
        let dir = absolute(workdir ?? (root as NSString).appendingPathComponent("slurm"))
        let addr = address ?? "\(ProcessInfo.processInfo.hostName):7700"
        // One name per queue database: the adapt loop finds its workers by it.
        let tag = SHA256Hex.of(Array(absolute(queue.db).utf8)).prefix(8)
        return SlurmLaunch(jobName: "lineargan-\(tag)", address: addr, secretPath: secretPath, workerPath: workerPath,
                           workdir: dir, slots: slots, cpusPerTask: cpusPerTask ?? slots,
                           memory: mem ?? "\(Int((memPerSlot * Double(slots) * 1024).rounded(.up)))M",
                           time: time, warningSeconds: warning, stopGrace: stopGrace,
                           partition: partition, account: account, extraArguments: sbatchArgs)
    }

    func run() throws {
        let launch = try resolved()
        let store = try JobStore(path: queue.db)
        let load = { () throws -> QueueLoad in
            let c = try store.counts()
            return QueueLoad(queued: c[.queued] ?? 0, running: c[.running] ?? 0)
        }
        if dryRun {
            print(launch.script, terminator: "")
            let q = try load()
            let n = adapt ? AdaptPolicy(maxWorkers: workers).toSubmit(queuedJobs: q.queued, pendingWorkers: 0, runningWorkers: 0) : workers
            print("# dry run: would submit \(n) worker job(s) named \(launch.jobName) with `sbatch --parsable` from \(launch.workdir) "
                  + "(\(q.queued) jobs queued\(adapt ? ", adapting up to \(workers) workers" : ""))")
            return
        }
        try FileManager.default.createDirectory(atPath: launch.workdir, withIntermediateDirectories: true)
        let slurm = SlurmCommands()
        if !adapt {
            for _ in 0..<workers { print("submitted worker job \(try slurm.submit(script: launch.script, in: launch.workdir))") }
            return
        }
        let loop = AdaptLoop(launch: launch, policy: AdaptPolicy(maxWorkers: workers), scheduler: slurm, load: load,
                             say: { FileHandle.standardOutput.write(Data(($0 + "\n").utf8)) })
        try loop.run(poll: poll)
        print("queue drained; no worker of \(launch.jobName) left in Slurm (\(loop.submitted.count) submitted)")
    }
}
