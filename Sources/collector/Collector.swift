import ArgumentParser
import LGLogging
import Foundation
import LGStore
import LGReports

/// `collector`: the paper's tables from the queue database.
@main
struct Collector: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make result tables (SE.tex, SE_{G}.tex, fewshot.tex, scs.tex), Markdown or CSV from the job store.",
        subcommands: [Tex.self, Markdown.self, CSV.self])
}

struct CollectorOptions: ParsableArguments {
    @Option(help: "The queue database.") var db: String = "expr/queue.sqlite"
    @Option(help: "Only this grid (CSV).") var grid: String?
    func reports() throws -> Reports {
        guard FileManager.default.fileExists(atPath: db) else { throw CommandFailure("no queue database at \(db) (--db)") }
        return Reports(store: try JobStore(path: db))
    }
}

struct Tex: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write SE.tex, SE_{G}.tex for each trained G, SE_zoo.tex (the embedded zoo), SE_other.tex (generators outside the paper's grid), SE_lw.tex (the LSE under each layer weighting), fewshot.tex and scs.tex.")
    @OptionGroup var opts: CollectorOptions
    @Option(help: "Output folder.") var out: String = "results"
    func run() throws {
        let r = try opts.reports()
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        var files: [(String, Table)] = [("SE.tex", try r.seTable()), ("fewshot.tex", try r.fewshotTable()), ("scs.tex", try r.scsTable())]
        let zoo = try r.zooSETable()
        if !zoo.isEmpty { files.append(("SE_zoo.tex", zoo)) }
        let other = try r.otherSETable()
        if !other.rows.isEmpty { files.append(("SE_other.tex", other)) }
        let lw = try r.layerWeightTable()
        if !lw.rows.isEmpty { files.append(("SE_lw.tex", lw)) }
        for g in try r.trainedGs() { files.append(("SE_\(g).tex", try r.classTable(G: g))) }
        for (name, t) in files {
            try t.latex().write(toFile: (out as NSString).appendingPathComponent(name), atomically: true, encoding: .utf8)
            print("wrote \((out as NSString).appendingPathComponent(name))")
        }
    }
}

struct Markdown: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the tables as Markdown.")
    @OptionGroup var opts: CollectorOptions
    func run() throws {
        let r = try opts.reports()
        // Tables without a single finished cell are named, not printed.
        var empty: [String] = []
        for t in [try r.seTable(), try r.zooSETable(), try r.otherSETable(), try r.layerWeightTable(), try r.fewshotTable(), try r.scsTable()] + (try r.trainedGs().map { try r.classTable(G: $0) }) {
            if t.isEmpty { empty.append(String(t.title.prefix { $0 != ":" })) } else { print(t.markdown()) }
        }
        if !empty.isEmpty { print("(no finished jobs yet for: \(empty.joined(separator: ", ")))") }
    }
}

struct CSV: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Every metric row as CSV (stdout, or --out FILE).")
    @OptionGroup var opts: CollectorOptions
    @Option(help: "Output file.") var out: String?
    func run() throws {
        let s = try opts.reports().csv(grid: opts.grid)
        if let out { try s.write(toFile: out, atomically: true, encoding: .utf8); print("wrote \(out)") } else { print(s, terminator: "") }
    }
}
