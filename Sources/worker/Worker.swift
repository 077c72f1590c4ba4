import ArgumentParser
import LGTensor

/// `worker`: runs LinearGAN jobs. Subcommands run single pieces of work
/// locally; the distributed mode (claiming jobs from a coordinator) is
/// described in docs/architecture.md.
@main
struct Worker: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Runs LinearGAN work: queued jobs from a coordinator (default), or one piece of work locally (sample, run-local, edit, scs, studio).",
        usage: """
        worker [--connect HOST:PORT] [--slots N] [--secret FILE] [--workdir DIR] [--exit-when-idle] [--quiet]
          worker <subcommand> [options]
        """,
        discussion: """
        Without a subcommand the worker connects to a coordinator (default 127.0.0.1:7700, \
        secret expr/secret) and runs jobs in --slots child processes; `worker connect --help` lists every option.
        """,
        subcommands: [Connect.self, ExecJob.self, Sample.self, RunLocal.self, Models.self, Label.self, Render.self, TrainSegmenter.self, ZooRegister.self, ZooCheck.self, RenderEval.self, Edit.self, SCS.self, Segment.self, StudioCommand.self],
        defaultSubcommand: Connect.self
    )

    /// OpenBLAS's kernels and idle threads set right first (`BLAS.reexecForOpenBLAS`),
    /// then ArgumentParser's own parse, run and exit.
    static func main() {
        BLAS.reexecForOpenBLAS()
        main(nil)
    }
}
