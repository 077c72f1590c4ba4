import XCTest
import LGJobKinds
import LGTensor
import LGSemantics
@testable import LGJobs

/// A dependent job (scs) rebuilds the trained extractor from its
/// dependency's final job checkpoint, as fetched from the coordinator.
final class DependencyExtractorTests: XCTestCase {
    func testExtractorFromAFinishedJobCheckpointEqualsTheSavedOne() throws {
        let registry = try Fixture.registry()
        let store = MemoryCheckpointer()
        let params = JobParameters(["G": "fixture_stylegan2_r32", "num_sample": "2", "repeat_ind": "0", "epochs": "1",
                                    "steps_per_epoch": "4", "eval_samples": "1"])
        let report = try Jobs.run(kind: .trainFewshot, parameters: params, registry: registry,
                                  context: JobRunContext(checkpointer: store), outputs: JobOutputs(root: try Fixture.tempDir("dep")))
        let se = try Jobs.extractor(fromCheckpoint: XCTUnwrap(try store.latest()))
        XCTAssertEqual(se.arch.type, .lse)
        var fromJob: [String: Tensor] = [:]
        for (k, p) in se.namedParameters { fromJob[k] = p.value }
        assertBitwiseEqual(fromJob, try extractorParameters(report))
        // A checkpoint from the middle of training is refused.
        let mid = MemoryCheckpointer()
        var stop = false
        XCTAssertThrowsError(try Jobs.run(kind: .trainFewshot, parameters: params, registry: registry,
                                          context: JobRunContext(checkpointer: mid, policy: CheckpointPolicy(intervalSeconds: nil, everySteps: 1),
                                                                 progress: { p in if p.phase == .training && p.step == 2 { stop = true } },
                                                                 isCancelled: { stop })))
        XCTAssertThrowsError(try Jobs.extractor(fromCheckpoint: XCTUnwrap(try mid.latest()))) { e in
            XCTAssertTrue("\(e)".contains("middle of training"), "\(e)")
        }
        XCTAssertThrowsError(try Jobs.extractor(fromCheckpoint: Data("not a checkpoint".utf8)))
    }
}
