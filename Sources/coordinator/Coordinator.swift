import ArgumentParser

/// `coordinator`: the job queue. `serve` runs the daemon workers connect to;
/// the other subcommands work on the queue database directly (SQLite waits
/// politely for the daemon's short write transactions).
@main
struct CoordinatorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coordinator",
        abstract: "The LinearGAN job queue: serve workers, enqueue grids, inspect and manage jobs.",
        discussion: """
        Quick start (runs on a fresh clone: the embedded zoo needs no downloads):
          coordinator serve &                      # creates expr/queue.sqlite and expr/secret
          coordinator enqueue sr_all_method_zoo --preset quick
          worker --connect 127.0.0.1:7700 --slots 2 --exit-when-idle
          coordinator status
          collector markdown
        On a Slurm cluster: coordinator launch slurm --help (docs/cluster.md).
        """,
        subcommands: [Serve.self, Launch.self, Enqueue.self, Status.self, Workers.self, Jobs.self, Retry.self, Cancel.self, Prioritize.self, Kinds.self]
    )
}

/// Options shared by every subcommand.
struct QueueOptions: ParsableArguments {
    @Option(help: "The queue database (checkpoints and the secret live beside it: one database per folder).")
    var db: String = "expr/queue.sqlite"
}
