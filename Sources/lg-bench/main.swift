// lg-bench: kernel and model throughput, measured in one run.
//
//   swift run -c release lg-bench [--quick] [--section NAME ...]   (--help lists them)
//
// Prints OpenBLAS sgemm GFLOPS first, then each kernel's GFLOPS and its
// ratio to sgemm (both the large square sgemm figure and sgemm at the same
// GEMM shape the kernel reduces to), then model throughput.
import Foundation
import LGTensor
import LGModels
import LGSemantics

BLAS.reexecForOpenBLAS()  // OpenBLAS's kernels and idle threads set right (see its comment)
let options = BenchOptions.parseOrExit()
if let n = options.threads { BLAS.setThreads(n) }
let quick = options.quick
// A child of `--section job`: one case, one JSON line.
if let jobCase = options.jobCase {
    let parts = jobCase.split(separator: ":").map(String.init)
    do {
        let ses = parts.count == 2 ? parts[1].split(separator: "+").compactMap { ExtractorType(rawValue: String($0)) } : []
        guard parts.count == 2, !ses.isEmpty, ses.count == parts[1].split(separator: "+").count else {
            throw JobBench.ChildError("--job-case wants GENERATOR:SE[+SE...] with SE one of LSE, NSE-1, NSE-2, got \(jobCase)")
        }
        // As a train job runs it: its 3x3 convolutions under the job's default
        // policy (LG_WINOGRAD replaces it, as on a worker).
        let t = try Winograd.with(policy: .trainingDefault) {
            try JobBench.measure(generator: parts[0], extractors: ses, steps: quick ? 1 : 3)
        }
        print(String(decoding: try JSONEncoder().encode(t), as: UTF8.self))
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("lg-bench --job-case: \(error)\n".utf8))
        exit(1)
    }
}

var bench = Bench(quick: quick)
if let torchPath = options.torchReference {
    do { bench.torch = try TorchReference.load(torchPath) } catch {
        FileHandle.standardError.write(Data("lg-bench: \(error)\n".utf8))
        exit(1)
    }
}
if let profileSpec = options.profile {
    bench.profile(profileSpec)
    exit(0)
}
print("lg-bench  threads=\(BLAS.threads)  OpenBLAS core \(BLASCore.description)  kernels \(KernelISA.current.rawValue) (CPU's best \(KernelISA.best.rawValue))  GEMMs \(GEMMKernel.description)  OPENBLAS_THREAD_TIMEOUT=\(ProcessInfo.processInfo.environment["OPENBLAS_THREAD_TIMEOUT"] ?? "default")  \(quick ? "quick" : "full")")
let peak = bench.sgemmPeak()
print(String(format: "sgemm 1024x1024x1024: %.1f GFLOPS (reference for ratios)", peak))

if options.wants(.conv) {
    print("")
    print("kernel                                   shape                      ms     GFLOPS  /sgemm  /sgemm@shape")
    for row in bench.convRows() {
        print(row.format(peak: peak))
    }
}
if options.wants(.winograd) {
    print("")
    print("3x3 conv, batch 1 (GFLOPS of the direct method) shape                      ms     GFLOPS  /sgemm  /sgemm@shape")
    for row in bench.winogradRows() {
        print(row.format(peak: peak))
    }
}
if options.wants(.winogradSemantics) {
    print("")
    let saved = Winograd.policy
    for policy in [Winograd.Policy.off, .inference, .always] {
        Winograd.policy = policy
        print("LG_WINOGRAD=\(policy.rawValue):")
        bench.semantics(only: ["NSE-1", "NSE-2"], peak: peak)
    }
    Winograd.policy = saved
}
if options.wants(.winogradF4) {
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
if options.wants(.winogradTransposed) {
    print("")
    bench.winogradTransposed()
}
if options.wants(.dcgan) {
    print("")
    bench.dcgan(peak: peak)
}
if options.wants(.micro) {
    bench.micro()
}
if options.wants(.semantics) || !options.extractorNames.isEmpty {
    print("")
    // Under the `train` job's default convolution policy; `--section
    // winograd-semantics` compares the three policies.
    let policy = Winograd.Policy.trainingDefault
    print("extractor training steps, LG_WINOGRAD=\(policy.rawValue) (the train job's default)")
    Winograd.with(policy: policy) { bench.semantics(only: options.extractorNames, peak: peak) }
}
if options.wants(.gan) {
    print("")
    bench.ganSteps()
}
if options.wants(.stylegan2) {
    print("")
    bench.stylegan2(peak: peak)
}
if options.wants(.job) {
    print("")
    JobBench.run(quick: quick, threads: options.threads, torch: bench.torch)
}
if options.wants(.scene) {
    print("")
    bench.scene(peak: peak)
}
