import XCTest
@testable import LGTensor

/// The OpenBLAS core correction (`BLASCore`, `BLAS.reexecForOpenBLAS`):
/// when it overrides OpenBLAS's choice and what it names.
final class BLASCoreTests: XCTestCase {
    let emeraldRapids: Set<String> = ["sse2", "avx", "avx2", "fma", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl", "avx512_fp16"]
    let zen3: Set<String> = ["sse2", "avx", "avx2", "fma", "bmi2"]

    func testAnSSEFallbackOnAnAVX512CPUGetsSkylakeX() {
        XCTAssertEqual(BLASCore.override(chosen: "Prescott", flags: emeraldRapids), "SkylakeX")
        XCTAssertEqual(BLASCore.override(chosen: "Haswell", flags: emeraldRapids), "SkylakeX", "AVX2 kernels on an AVX-512 CPU")
        XCTAssertEqual(BLASCore.override(chosen: "Nehalem", flags: zen3), "Haswell")
        XCTAssertEqual(BLASCore.override(chosen: "Core2", flags: ["sse2", "avx"]), "Sandybridge")
    }

    func testAChoiceAtTheCPUsTierIsKept() {
        for core in ["SkylakeX", "Cooperlake", "SapphireRapids", "skylakex"] {
            XCTAssertNil(BLASCore.override(chosen: core, flags: emeraldRapids), core)
        }
        XCTAssertNil(BLASCore.override(chosen: "Zen", flags: zen3))
        XCTAssertNil(BLASCore.override(chosen: "Haswell", flags: zen3))
        XCTAssertNil(BLASCore.override(chosen: "Prescott", flags: ["sse2", "sse3"]), "nothing better to name")
        XCTAssertNil(BLASCore.override(chosen: "Prescott", flags: []), "unknown flags: OpenBLAS's choice stands")
    }

    func testABuildForOneTargetIsLeftAlone() {
        // Without DYNAMIC_ARCH there are no other kernels to choose.
        XCTAssertNil(BLASCore.override(chosen: "Haswell", flags: emeraldRapids, config: "OpenBLAS 0.3.21 NO_LAPACKE Haswell MAX_THREADS=64"))
        XCTAssertEqual(BLASCore.override(chosen: "Prescott", flags: emeraldRapids,
                                         config: "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Prescott MAX_THREADS=64"), "SkylakeX")
    }

    func testAVX512NeedsEveryExtensionSkylakeXUses() {
        // AVX-512 F without BW/DQ/VL (Knights Landing) runs Haswell's kernels, not SkylakeX's.
        XCTAssertEqual(BLASCore.tier(ofFlags: ["avx", "avx2", "fma", "avx512f", "avx512cd"]), .avx2)
        XCTAssertEqual(BLASCore.tier(ofFlags: emeraldRapids), .avx512)
        XCTAssertEqual(BLASCore.tier(ofFlags: ["avx", "avx2"]), .avx, "AVX2 without FMA")
    }

    func testFlagsAreReadFromCpuinfo() {
        let text = """
        processor\t: 0
        model name\t: Intel(R) Xeon(R) Processor
        flags\t\t: fpu sse2 avx avx2 fma avx512f
        bugs\t\t: spectre_v1

        processor\t: 1
        flags\t\t: fpu
        """
        XCTAssertEqual(BLASCore.flags(cpuinfo: text), ["fpu", "sse2", "avx", "avx2", "fma", "avx512f"])
        XCTAssertEqual(BLASCore.flags(cpuinfo: "model name: x"), [])
    }

    /// This machine: the core OpenBLAS runs in this (un-re-executed) test
    /// process, and the correction for it, are consistent.
    func testThisMachine() {
        let running = BLASCore.running, flags = BLASCore.machineFlags()
        XCTAssertFalse(running.isEmpty)
        if let core = BLASCore.override(chosen: running, flags: flags) {
            XCTAssertGreaterThan(BLASCore.tier(ofCore: core), BLASCore.tier(ofCore: running))
        }
    }
}
