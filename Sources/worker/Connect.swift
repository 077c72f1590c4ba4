import ArgumentParser
import Foundation
import LGNet
import LGRunner
import LGTensor

/// `worker --connect HOST:PORT --slots N` (the default subcommand): claims
/// jobs from a coordinator and runs each in a child process.
struct Connect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run jobs from a coordinator (the default subcommand).",
        discussion: """
        Each slot runs one job in a child process (`worker exec-job`); a crash
        fails only that attempt. OPENBLAS_NUM_THREADS defaults to cores / slots.
        A claimed job whose expected peak memory does not fit beside the running
        jobs' goes back to the queue until one finishes (docs/usage.md, "Slots
        and memory"); --slots auto picks the count from cores and memory.
        SIGTERM: stop claiming, checkpoint and release running jobs, exit.

        Example: worker --connect 10.0.0.5:7700 --slots 2 --secret ~/lineargan.secret
        """
    )

    @OptionGroup var options: ConnectOptions

    func run() throws { try options.runWorker(registry: jobKinds, blasCore: BLASCore.description + ", own kernels \(KernelISA.current.rawValue), GEMMs \(GEMMKernel.description)") }
}

/// `worker exec-job --spec FILE` (hidden): runs one job in this process and
/// streams JSON-line events on stdout. Started by the connect loop.
struct ExecJob: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "exec-job", abstract: "Run one job (internal).",
                                                    shouldDisplay: false)

    @Option(help: "The job spec (JSON); several: the jobs of one fused cell.")
    var spec: [String]

    func run() throws {
        let code = ChildHost.run(specPaths: spec, registry: jobKinds)
        if code != 0 { throw ExitCode(code) }
    }
}
