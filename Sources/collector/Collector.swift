import ArgumentParser
import LGLogging
import Foundation
import LGStore
import LGReports

/// `collector`: the paper's tables from the queue database.
@main
struct Collector: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make result tables (SE.tex, SE_{G}.tex, fewshot.tex, scs.tex), Markdown, CSV or SVG figures from the job store.",
        subcommands: [Tex.self, Markdown.self, CSV.self, Plots.self])
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
        // The same list as `markdown` and the dashboard's /api/results.
        let files = try r.namedTables().map { ($0.name + ".tex", $0.table) }
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
        for t in try r.namedTables(all: true).map(\.table) {
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

struct Plots: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the figures as SVG and PNG: iou_{G} (per-class IoU bars per method), layer_weights_{G} (the LSE's layer weights, from its last checkpoint), curve_job{N}_{NAME} (metric rows NAME@STEP).")
    @OptionGroup var opts: CollectorOptions
    @Option(help: "Output folder.") var out: String = "results/plots"
    func run() throws {
        let set = try opts.reports().plots()
        for n in set.notes { FileHandle.standardError.write(Data("note: \(n)\n".utf8)) }
        guard !set.plots.isEmpty else { print(PlotSet.emptyMessage); return }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        for p in set.plots {
            let path = (out as NSString).appendingPathComponent(p.name + ".svg")
            try p.svg.write(toFile: path, atomically: true, encoding: .utf8)
            try Data(try p.png()).write(to: URL(fileURLWithPath: String(path.dropLast(4)) + ".png"), options: .atomic)
            print("wrote \(path) (and .png)")
        }
    }
}
