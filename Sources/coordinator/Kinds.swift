import ArgumentParser
import Foundation
import LGJobKinds
import LGLogging

/// `coordinator kinds [KIND]`: the job kinds and their parameters.
struct Kinds: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the job kinds with their parameters (type, default, whether --set may add them) and metric keys.")

    @Argument(help: "One kind (default: all).") var kind: String?
    @Flag(help: "Markdown, as docs/job-kinds.md.") var markdown = false

    func run() throws {
        if markdown && kind == nil { print(JobKind.markdown, terminator: ""); return }
        let kinds: [JobKind]
        if let kind {
            guard let k = JobKind(rawValue: kind) else {
                throw CommandFailure("unknown job kind '\(kind)'; kinds: \(JobKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            kinds = [k]
        } else { kinds = JobKind.allCases }
        print(kinds.map { markdown ? $0.table.markdown : $0.table.text }.joined(separator: "\n"), terminator: "")
    }
}
