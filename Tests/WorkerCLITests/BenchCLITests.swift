import XCTest
import Foundation
@testable import LGTensor

/// `lg-bench`'s command line as a user meets it: the sections it lists and
/// the errors for a mistyped one (nothing here runs a benchmark).
final class BenchCLITests: XCTestCase {
    func bench(_ args: [String]) throws -> (status: Int32, output: String) {
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("lg-bench")
        guard FileManager.default.isExecutableFile(atPath: exe.path) else {
            XCTFail("lg-bench binary not found at \(exe.path)")
            return (-1, "")
        }
        let p = Process()
        p.executableURL = exe
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
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
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(exe)
        p.arguments = args
        if let environment { p.environment = environment }
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        return String(decoding: data, as: UTF8.self)
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
        XCTAssertEqual(BLASCore.tier(ofCore: core), max(BLASCore.tier(ofCore: BLASCore.running), BLASCore.tier(ofFlags: BLASCore.machineFlags())),
                       "\(line); this test process runs \(BLASCore.running)")
        if BLASCore.override(chosen: BLASCore.running, flags: BLASCore.machineFlags()) != nil {
            XCTAssertTrue(line.contains("set by LinearGAN: OpenBLAS chose \(BLASCore.running)"), String(line))
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
