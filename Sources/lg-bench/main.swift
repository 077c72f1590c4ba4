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

BLAS.reexecWithQuietThreads()  // OpenBLAS's idle threads sleep at once (see its comment)
let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.contains("--help") || arguments.contains("-h") {
    print("""
    usage: lg-bench [--quick] [--section conv|winograd|winograd-f4|winograd-transposed|dcgan|gan|stylegan2|semantics|LSE|NSE-1|NSE-2|micro|scene ...] [--threads N]
      --quick       fewer repetitions (for a smoke test)
      --section S   run only the named sections (default: all but winograd-f4,
                    winograd-transposed, winograd-semantics, micro and scene)
      --threads N   OpenBLAS threads (default: OpenBLAS's own choice)
      --profile S   repeat one kernel for a profiler: conv:C,R | conv-bwd:C,R | tconv:CIN,COUT,R | dconv:CIN,COUT,R
      --torch-reference FILE   compare with PyTorch figures measured on this machine
                    (scripts/torch-reference.py --out FILE) instead of the issues' quoted ones
    Build in release mode: swift run -c release lg-bench
    """)
    exit(0)
}
let quick = arguments.contains("--quick")
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
if sections.contains("scene") {
    print("")
    bench.scene(peak: peak)
}
