import XCTest
import Foundation
@testable import LGTensor

/// `lg-bench`'s command line as a user meets it: the sections it lists and
/// the errors for a mistyped one (nothing here runs a benchmark).
final class BenchCLITests: XCTestCase {
    func bench(_ args: [String]) throws -> (status: Int32, output: String) {
        guard FileManager.default.isExecutableFile(atPath: productURL("lg-bench").path) else {
            XCTFail("lg-bench binary not found at \(productURL("lg-bench").path)")
            return (-1, "")
        }
        let r = try runProduct("lg-bench", args)
        return (r.status, r.output)
    }

    func testHelpListsEverySectionAndTheDefaultOnes() throws {
        let r = try bench(["--help"])
        XCTAssertEqual(r.status, 0, r.output)
        let text = r.output.split(whereSeparator: \.isWhitespace).joined(separator: " ")  // help wraps lines
        for s in ["conv", "winograd-f4", "winograd-semantics", "NSE-1", "scene", "job", "--torch-reference", "--threads"] {
            XCTAssertTrue(r.output.contains(s), "--help lacks \(s):\n\(r.output)")
        }
        XCTAssertTrue(text.contains("Without --section it runs conv, winograd, dcgan, semantics, gan, stylegan2 (semantics:"), r.output)
        XCTAssertFalse(r.output.contains("--job-case"), "the child's option is internal")
    }

    func testAMistypedSectionIsAnErrorNamingTheChoices() throws {
        let r = try bench(["--section", "scenes"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.output.contains("scenes"), r.output)
        XCTAssertTrue(r.output.contains("winograd-transposed"), "the error lists the sections:\n\(r.output)")
        XCTAssertFalse(r.output.contains("sgemm"), "nothing was measured")
    }

    func testANonPositiveThreadCountIsRefused() throws {
        let r = try bench(["--threads", "0", "--section", "micro"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.output.contains("--threads wants a positive count"), r.output)
    }
}

/// The worker corrects OpenBLAS's kernel choice for itself and its jobs
/// (`BLAS.reexecForOpenBLAS`) and says which kernels run.
final class BLASCoreCLITests: XCTestCase {
    func run(_ exe: String, _ args: [String], environment: [String: String]? = nil) throws -> String {
        let r = try runProduct(exe, args, environment: environment)
        XCTAssertEqual(r.status, 0, r.output)
        return r.output
    }

    func testTheWorkerRunsTheBestKernelsTheCPUAllows() throws {
        var env = ProcessInfo.processInfo.environment
        env["OPENBLAS_CORETYPE"] = nil
        env[BLASCore.detectedVariable] = nil
        let out = try run("worker", ["models"], environment: env)
        guard let line = out.split(separator: "\n").first(where: { $0.hasPrefix("OpenBLAS core: ") }) else {
            return XCTFail("worker models names no OpenBLAS core:\n\(out)")
        }
        let core = String(line.dropFirst("OpenBLAS core: ".count).prefix { $0 != " " })
        guard BLASCore.config.contains("DYNAMIC_ARCH") else { return }
        let best = BLASCore.tier(ofFlags: BLASCore.machineFlags())
        // The child's OpenBLAS chose for itself (this test process may run
        // with OPENBLAS_CORETYPE set, so its own core says nothing about
        // that choice): either the choice stood, at the CPU's tier or above,
        // or LinearGAN replaced a lower one by the CPU's tier and says so.
        if let range = line.range(of: "set by LinearGAN: OpenBLAS chose ") {
            let chosen = String(line[range.upperBound...].prefix { $0 != " " })
            XCTAssertLessThan(BLASCore.tier(ofCore: chosen), best, String(line))
            XCTAssertEqual(BLASCore.tier(ofCore: core), best, String(line))
        } else {
            XCTAssertTrue(line.contains("(OpenBLAS's choice)"), String(line))
            XCTAssertGreaterThanOrEqual(BLASCore.tier(ofCore: core), best, String(line))
        }
    }

    func testACoreTheUserSetIsKept() throws {
        var env = ProcessInfo.processInfo.environment
        env["OPENBLAS_CORETYPE"] = "Prescott"
        env[BLASCore.detectedVariable] = nil
        let out = try run("worker", ["models"], environment: env)
        XCTAssertTrue(out.contains("OpenBLAS core: Prescott (OPENBLAS_CORETYPE=Prescott)"), out)
    }
}
