// lg-bench: kernel and model throughput, measured in one run.
//
//   swift run -c release lg-bench [--quick] [--section NAME ...]
//
// Prints OpenBLAS sgemm GFLOPS first, then each kernel's GFLOPS and its
// ratio to sgemm (both the large square sgemm figure and sgemm at the same
// GEMM shape the kernel reduces to), then model throughput.
import Foundation
import LGTensor
import LGModels
import LGSemantics

BLAS.reexecWithQuietThreads()  // OpenBLAS's idle threads sleep at once (see its comment)
let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.contains("--help") || arguments.contains("-h") {
    print("""
    usage: lg-bench [--quick] [--section conv|winograd|winograd-f4|winograd-transposed|dcgan|gan|stylegan2|semantics|LSE|NSE-1|NSE-2|micro|scene|job ...] [--threads N]
      --quick       fewer repetitions (for a smoke test)
      --section S   run only the named sections (default: all but winograd-f4,
                    winograd-transposed, winograd-semantics, micro, scene and job)
                    job: a paper-scale train step per pipeline and extractor, each in a
                    child process (minutes); --torch-reference FILE from
                    scripts/torch-reference.py --section job adds PyTorch's step
      --threads N   OpenBLAS threads (default: OpenBLAS's own choice)
      --profile S   repeat one kernel for a profiler: conv:C,R | conv-bwd:C,R | tconv:CIN,COUT,R | dconv:CIN,COUT,R
      --torch-reference FILE   compare with PyTorch figures measured on this machine
                    (scripts/torch-reference.py --out FILE) instead of the issues' quoted ones
    Build in release mode: swift run -c release lg-bench
    """)
    exit(0)
}
let quick = arguments.contains("--quick")
// A child of `--section job`: one case, one JSON line.
if let i = arguments.firstIndex(of: "--job-case"), i + 1 < arguments.count {
    if let t = arguments.firstIndex(of: "--threads"), t + 1 < arguments.count, let n = Int(arguments[t + 1]) { BLAS.setThreads(n) }
    let parts = arguments[i + 1].split(separator: ":").map(String.init)
    do {
        guard parts.count == 2, let se = ExtractorType(rawValue: parts[1]) else {
            throw JobBench.ChildError("--job-case wants GENERATOR:LSE|NSE-1|NSE-2, got \(arguments[i + 1])")
        }
        let t = try JobBench.measure(generator: parts[0], extractor: se, steps: quick ? 1 : 3)
        print(String(decoding: try JSONEncoder().encode(t), as: UTF8.self))
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("lg-bench --job-case: \(error)\n".utf8))
        exit(1)
    }
}
var sections = Set<String>()
var profileSpec: String?
var torchPath: String?
var i = 0
while i < arguments.count {
    if arguments[i] == "--section", i + 1 < arguments.count { sections.insert(arguments[i + 1]); i += 1 }
    if arguments[i] == "--profile", i + 1 < arguments.count { profileSpec = arguments[i + 1]; i += 1 }
    if arguments[i] == "--threads", i + 1 < arguments.count, let n = Int(arguments[i + 1]) { BLAS.setThreads(n); i += 1 }
    if arguments[i] == "--torch-reference", i + 1 < arguments.count { torchPath = arguments[i + 1]; i += 1 }
    i += 1
}
let chosen = sections
@MainActor func wants(_ s: String) -> Bool { chosen.isEmpty || chosen.contains(s) }

var bench = Bench(quick: quick)
if let torchPath {
    do { bench.torch = try TorchReference.load(torchPath) } catch {
        FileHandle.standardError.write(Data("lg-bench: \(error)\n".utf8))
        exit(1)
    }
}
if let profileSpec {
    bench.profile(profileSpec)
    exit(0)
}
print("lg-bench  threads=\(BLAS.threads)  OPENBLAS_THREAD_TIMEOUT=\(ProcessInfo.processInfo.environment["OPENBLAS_THREAD_TIMEOUT"] ?? "default")  \(quick ? "quick" : "full")")
let peak = bench.sgemmPeak()
print(String(format: "sgemm 1024x1024x1024: %.1f GFLOPS (reference for ratios)", peak))

if wants("conv") {
    print("")
    print("kernel                                   shape                      ms     GFLOPS  /sgemm  /sgemm@shape")
    for row in bench.convRows() {
        print(row.format(peak: peak))
    }
}
if wants("winograd") {
    print("")
    print("3x3 conv, batch 1 (GFLOPS of the direct method) shape                      ms     GFLOPS  /sgemm  /sgemm@shape")
    for row in bench.winogradRows() {
        print(row.format(peak: peak))
    }
}
if sections.contains("winograd-semantics") {
    print("")
    let saved = Winograd.policy
    for policy in [Winograd.Policy.off, .inference, .always] {
        Winograd.policy = policy
        print("LG_WINOGRAD=\(policy.rawValue):")
        bench.semantics(only: ["NSE-1", "NSE-2"], peak: peak)
    }
    Winograd.policy = saved
}
if sections.contains("winograd-f4") {
    // F(2x2, 3x3) against F(4x4, 3x3) on large maps, alternating twice.
    let saved = Winograd.largeTiles
    for round in 0..<2 {
        for large in [false, true] {
            Winograd.largeTiles = large
            print("")
            print("round \(round + 1), \(large ? "F(4x4, 3x3) on large maps" : "F(2x2, 3x3) only"):")
            print("3x3 conv, batch 1 (GFLOPS of the direct method) shape                      ms     GFLOPS  /sgemm  /sgemm@shape")
            for row in bench.winogradRows() { print(row.format(peak: peak)) }
            Winograd.with(policy: .trainingDefault) { bench.semantics(only: ["NSE-2"], peak: peak) }
        }
    }
    Winograd.largeTiles = saved
}
if sections.contains("winograd-transposed") {
    print("")
    bench.winogradTransposed()
}
if wants("dcgan") {
    print("")
    bench.dcgan(peak: peak)
}
if sections.contains("micro") {
    bench.micro()
}
if wants("semantics") || !chosen.isDisjoint(with: ["LSE", "NSE-1", "NSE-2"]) {
    print("")
    // Under the `train` job's default convolution policy; `--section
    // winograd-semantics` compares the three policies.
    let policy = Winograd.Policy.trainingDefault
    print("extractor training steps, LG_WINOGRAD=\(policy.rawValue) (the train job's default)")
    Winograd.with(policy: policy) { bench.semantics(only: chosen.intersection(["LSE", "NSE-1", "NSE-2"]), peak: peak) }
}
if wants("gan") {
    print("")
    bench.ganSteps()
}
if wants("stylegan2") {
    print("")
    bench.stylegan2(peak: peak)
}
if sections.contains("job") {
    print("")
    JobBench.run(quick: quick, threads: arguments.firstIndex(of: "--threads").flatMap { Int(arguments[$0 + 1]) }, torch: bench.torch)
}
if sections.contains("scene") {
    print("")
    bench.scene(peak: peak)
}
