// lg-queue-worker: the worker's connect loop with only the queue's own job
// kinds (test_sleep, with LINEARGAN_TEST_KINDS=1) and none of the numeric
// code. The live tests and the benchmark run it, so they do not depend on
// the model targets. Same options as `worker`:
//   lg-queue-worker --connect HOST:PORT --slots N --secret FILE --workdir DIR [--exit-when-idle] [--name NAME]
//   lg-queue-worker exec-job --spec FILE
import ArgumentParser
import Foundation
import LGRunner

let registry = JobRegistry([:])

@main
struct QueueWorker: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lg-queue-worker",
        abstract: "The worker's connect loop with the queue's test job kinds only (live tests, benchmarks).",
        subcommands: [Run.self, ExecJob.self], defaultSubcommand: Run.self)

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "run", abstract: "Run jobs from a coordinator (default).")
        @OptionGroup var options: ConnectOptions
        func run() throws { try options.runWorker(registry: registry) }
    }

    struct ExecJob: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "exec-job", abstract: "Run one job (internal).", shouldDisplay: false)
        @Option(help: "The job spec (JSON); several: the jobs of one fused cell.") var spec: [String]
        func run() throws {
            let code = ChildHost.run(specPaths: spec, registry: registry)
            if code != 0 { throw ExitCode(code) }
        }
    }
}
