import ArgumentParser

/// `worker`: runs LinearGAN jobs. Subcommands run single pieces of work
/// locally; the distributed mode (claiming jobs from a coordinator) is
/// described in docs/architecture.md.
@main
struct Worker: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Runs LinearGAN work: sampling generators (more job kinds as they land).",
        subcommands: [Connect.self, ExecJob.self, Sample.self, RunLocal.self, Models.self, Edit.self],
        defaultSubcommand: Connect.self
    )
}
