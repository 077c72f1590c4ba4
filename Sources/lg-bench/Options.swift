// lg-bench's command line (swift-argument-parser): the sections it can run,
// which of them run by default, and the options they share.
import ArgumentParser

/// One part of lg-bench's output. The default run takes the cheap ones;
/// the rest are named with `--section`.
enum BenchSection: String, CaseIterable, ExpressibleByArgument {
    case conv, winograd, dcgan, semantics, gan, stylegan2
    case lse = "LSE", nse1 = "NSE-1", nse2 = "NSE-2"
    case winogradSemantics = "winograd-semantics", winogradF4 = "winograd-f4", winogradTransposed = "winograd-transposed"
    case micro, scene, job

    /// Run only when named: long (job, scene) or comparisons for tuning.
    static let optIn: Set<BenchSection> = [.winogradSemantics, .winogradF4, .winogradTransposed, .micro, .scene, .job]
    /// The extractor steps `semantics` runs, each also a section of its own.
    static let extractors: Set<BenchSection> = [.lse, .nse1, .nse2]

    /// What a run without `--section` takes.
    static var defaults: [BenchSection] { allCases.filter { !optIn.contains($0) && !extractors.contains($0) } }
}

struct BenchOptions: ParsableCommand {  // parsed by main.swift (parseOrExit), not run as a command
    static let configuration = CommandConfiguration(
        commandName: "lg-bench",
        abstract: "Kernel, model and job throughput, each against sgemm or PyTorch measured in the same run.",
        discussion: """
        Prints OpenBLAS sgemm GFLOPS first, then each kernel's GFLOPS and its ratio to sgemm \
        (the large square figure and sgemm at the kernel's GEMM shape), then model throughput. \
        Build in release mode: swift run -c release lg-bench.

        Without --section it runs \(BenchSection.defaults.map(\.rawValue).joined(separator: ", ")) \
        (semantics: the LSE, NSE-1 and NSE-2 steps, each also a section of its own). \
        job is a paper-scale train step per pipeline and extractor, each in a child process (minutes); \
        scripts/torch-reference.py --section job --out F writes PyTorch's figures for --torch-reference F.
        """)

    @Flag(help: "Fewer repetitions (a smoke test).")
    var quick = false

    @Option(name: [.customLong("section")], help: ArgumentHelp("Run only this section (repeatable).", valueName: "section"))
    var sections: [BenchSection] = []

    @Option(help: "OpenBLAS threads (default: OpenBLAS's own choice).")
    var threads: Int?

    @Option(help: ArgumentHelp("Repeat one kernel for a profiler: conv:C,R | conv-bwd:C,R | tconv:CIN,COUT,R | dconv:CIN,COUT,R.",
                               valueName: "spec"))
    var profile: String?

    @Option(name: .customLong("torch-reference"),
            help: ArgumentHelp("Compare with PyTorch figures measured on this machine (scripts/torch-reference.py --out FILE).",
                               valueName: "file"))
    var torchReference: String?

    /// A child of `--section job`: one GENERATOR:EXTRACTOR case, one JSON line.
    @Option(name: .customLong("job-case"), help: .hidden)
    var jobCase: String?

    mutating func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads wants a positive count, got \(threads)") }
    }

    /// Whether a section runs: named, or one of the defaults when none is named.
    func wants(_ s: BenchSection) -> Bool { sections.isEmpty ? BenchSection.defaults.contains(s) : sections.contains(s) }
    /// The extractor sections named (empty: all three).
    var extractorNames: Set<String> { Set(sections.filter { BenchSection.extractors.contains($0) }.map(\.rawValue)) }
}
