import ArgumentParser
import Foundation
import LGNet
import LGRunner

/// `worker --connect HOST:PORT --slots N` (the default subcommand): claims
/// jobs from a coordinator and runs each in a child process.
struct Connect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run jobs from a coordinator (the default subcommand).",
        discussion: """
        Each slot runs one job in a child process (`worker exec-job`); a crash
        fails only that attempt. OPENBLAS_NUM_THREADS defaults to cores / slots.
        SIGTERM: stop claiming, checkpoint and release running jobs, exit.

        Example: worker --connect 10.0.0.5:7700 --slots 2 --secret ~/lineargan.secret
        """
    )

    @Option(help: "The coordinator's HOST:PORT.")
    var connect: String = "127.0.0.1:7700"

    @Option(help: "Jobs run at once.")
    var slots: Int = 1

    @Option(help: "The shared secret file (a copy of the coordinator's expr/secret).")
    var secret: String = "expr/secret"

    @Option(help: "Folder for job work directories.")
    var workdir: String = "expr/work"

    @Option(help: "Name reported to the coordinator (default HOST:PID).")
    var name: String?

    @Option(help: "Seconds to let jobs checkpoint after SIGTERM before killing them.")
    var stopGrace: Double = 30

    @Flag(help: "Exit when the queue has nothing claimable and no job is running.")
    var exitWhenIdle = false

    @Flag(help: "No per-slot progress lines.")
    var quiet = false

    func validate() throws {
        guard slots >= 1 else { throw ValidationError("--slots must be at least 1") }
        _ = try Socket.parse(connect)
    }

    func run() throws {
        let key = try SecretFile.load(secret)
        let host = ProcessInfo.processInfo.hostName
        var opts = WorkerOptions(address: connect, secret: key, slots: slots,
                                 name: name ?? "\(host):\(getpid())",
                                 workRoot: (workdir as NSString).appendingPathComponent("\(getpid())"),
                                 registry: jobKinds, executable: selfPath())
        opts.stopGrace = stopGrace
        opts.exitWhenIdle = exitWhenIdle
        opts.showProgress = !quiet
        let runner = WorkerRunner(options: opts)
        var sources: [DispatchSourceSignal] = []
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler { runner.requestStop() }
            s.resume()
            sources.append(s)
        }
        if jobKinds.kinds.isEmpty {
            FileHandle.standardError.write(Data("worker: no job kinds are registered in this build (Sources/worker/JobKinds.swift); nothing can be claimed\n".utf8))
        }
        withExtendedLifetime(sources) { runner.run() }
        try? FileManager.default.removeItem(atPath: opts.workRoot)
    }

    func selfPath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}

/// `worker exec-job --spec FILE` (hidden): runs one job in this process and
/// streams JSON-line events on stdout. Started by the connect loop.
struct ExecJob: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "exec-job", abstract: "Run one job (internal).",
                                                    shouldDisplay: false)

    @Option(help: "The job spec (JSON).")
    var spec: String

    func run() throws {
        let code = ChildHost.run(specPath: spec, registry: jobKinds)
        if code != 0 { throw ExitCode(code) }
    }
}
