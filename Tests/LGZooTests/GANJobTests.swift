import Foundation
import LGGANTraining
import LGJobs
import LGModelIO
import LGModels
import LGTensor
import XCTest
@testable import LGZoo

final class GANJobTests: XCTestCase {
    func tiny(_ family: GeneratorFamily) throws -> GANJobOptions {
        try GANJobOptions(parameters: ["family": family.rawValue, "domain": "toyface", "resolution": "16",
                                       "fmaps_max": "8", "latent_dim": "8", "mapping_layers": "1", "batch": "2",
                                       "steps": "4", "seed": "3", "sample_every": "0"])
    }

    func temporaryDirectory() throws -> URL {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("gan-job-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }

    /// Cancelled after 2 steps and run again, the job ends with the same
    /// exported generator as an uninterrupted run; the export loads through
    /// the LGModels loader.
    func testInterruptedRunResumesExactly() throws {
        let o = try tiny(.stylegan2)
        let dirA = try temporaryDirectory(), dirB = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dirA); try? FileManager.default.removeItem(at: dirB) }
        let whole = try GANJob.run(o, context: JobRunContext(checkpointer: MemoryCheckpointer()), expr: dirA)
        XCTAssertEqual(whole.metrics["steps"], 4)

        let store = MemoryCheckpointer()
        var steps = 0
        let cancelling = JobRunContext(checkpointer: store, progress: { steps = $0.step }, isCancelled: { steps >= 2 })
        XCTAssertThrowsError(try GANJob.run(o, context: cancelling, expr: dirB)) { error in
            XCTAssertEqual(error as? JobError, .cancelled(phase: "training", step: 2))
        }
        XCTAssertEqual(store.count, 1)
        let resumed = try GANJob.run(o, context: JobRunContext(checkpointer: store), expr: dirB)
        XCTAssertEqual(resumed.metrics["steps"], 4)

        let a = try Safetensors.read(dirA.appendingPathComponent("zoo/stylegan2_toyface16/generator.safetensors")).tensors
        let b = try Safetensors.read(dirB.appendingPathComponent("zoo/stylegan2_toyface16/generator.safetensors")).tensors
        XCTAssertEqual(a.keys.sorted(), b.keys.sorted())
        for (k, t) in a { XCTAssertEqual(t, b[k], k) }

        let json = try Data(contentsOf: dirA.appendingPathComponent("zoo/stylegan2_toyface16/generator.json"))
        let g = try GeneratorFamily.stylegan2.makeGenerator(configJSON: json)
        try g.load(StateDict.loadTorch(dirA.appendingPathComponent("zoo/stylegan2_toyface16/generator.safetensors").path))
        let latent = GradMode.withoutGradients {
            g.latent(fromZ: Variable(Tensor(zeros: g.zShape(batch: 1, strategy: .notruncWP))), strategy: .notruncWP).value
        }
        let image = g.generate(latent).image
        XCTAssertEqual(image.shape, [1, 3, 16, 16])
        XCTAssertTrue(FileManager.default.fileExists(atPath: dirA.appendingPathComponent("zoo/stylegan2_toyface16/samples_final.png").path))
    }

    /// A checkpoint of another configuration is refused, not silently used.
    func testCheckpointOfAnotherConfigurationIsRefused() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = MemoryCheckpointer()
        var o = try tiny(.pggan)
        o.steps = 1
        _ = try GANJob.run(o, context: JobRunContext(checkpointer: store), expr: dir)
        o.fmapsMax = 16
        XCTAssertThrowsError(try GANJob.run(o, context: JobRunContext(checkpointer: store), expr: dir)) { error in
            guard case JobError.checkpointMismatch = error else { return XCTFail("\(error)") }
        }
    }

    func testParametersAreChecked() {
        XCTAssertThrowsError(try GANJobOptions(parameters: ["family": "biggan", "domain": "toyface"]))
        XCTAssertThrowsError(try GANJobOptions(parameters: ["family": "pggan"]))
        XCTAssertThrowsError(try GANJobOptions(parameters: ["family": "pggan", "domain": "toyface", "stepz": "3"])) {
            XCTAssertTrue("\($0)".contains("stepz"))
        }
    }
}
