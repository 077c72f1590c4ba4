import XCTest
import LGJobKinds
import LGTensor
import LGModels
import LGSemantics
@testable import LGJobs

/// A run interrupted (cancelled after a checkpoint) and resumed must end
/// with bitwise the same parameters and metrics as an uninterrupted one.
final class ResumeTests: XCTestCase {
    /// Runs `kind` to completion, stopping it whenever `stopAt` says so and
    /// resuming from the saved checkpoint; returns the report and the number of stops.
    func runWithStops(_ kind: JobKind, _ params: JobParameters, root: URL,
                      stopAt: @escaping (JobProgress) -> Bool) throws -> (JobReport, Int) {
        let registry = try Fixture.registry()
        let store = MemoryCheckpointer()
        var stops = 0
        while true {
            var stop = false
            var consumed = Set<String>()
            let ctx = JobRunContext(checkpointer: store, policy: CheckpointPolicy(intervalSeconds: nil, everySteps: 3),
                                    progress: { p in
                                        let key = "\(p.phase.rawValue)/\(p.step)"
                                        if stopAt(p) && !consumed.contains(key) { stop = true; consumed.insert(key) }
                                    },
                                    isCancelled: { let s = stop; stop = false; return s })
            do {
                let r = try Jobs.run(kind: kind, parameters: params, registry: registry, context: ctx, outputs: JobOutputs(root: root))
                return (r, stops)
            } catch let JobError.cancelled(_, step) {
                stops += 1
                XCTAssertGreaterThan(step, 0)
                XCTAssertLessThan(stops, 10, "the job keeps stopping")
                if stops >= 10 { throw JobError.cancelled(phase: "test", step: step) }
            }
        }
    }

    func testInterruptedTrainingResumesBitwise() throws {
        // 3 epochs of 6 steps, accumulation 1 then 4 (a partial group at each
        // epoch end), lr x0.1 from epoch 2; stops mid-accumulation and in the evaluation.
        let params = tinyTrain(["epochs": "3", "steps_per_epoch": "6", "accumulation": "0:1,1:4", "milestones": "2",
                                "eval_samples": "5"])
        let (straight, s0) = try runWithStops(.train, params, root: try Fixture.tempDir("r0")) { _ in false }
        XCTAssertEqual(s0, 0)
        var fired: Set<String> = []
        let (resumed, stops) = try runWithStops(.train, params, root: try Fixture.tempDir("r1")) { p in
            // Stop once after training step 8 (inside a 4-step group, 2 steps after a checkpoint)
            // and once after evaluation sample 2.
            let key = "\(p.phase.rawValue)\(p.step)"
            guard (p.phase == .training && p.step == 8) || (p.phase == .evaluating && p.step == 2), !fired.contains(key) else { return false }
            fired.insert(key)
            return true
        }
        XCTAssertEqual(stops, 2)
        assertBitwiseEqual(try extractorParameters(straight), try extractorParameters(resumed))
        XCTAssertEqual(straight.classIoU, resumed.classIoU)
        XCTAssertEqual(straight.mIoU, resumed.mIoU)
        XCTAssertEqual(straight.pixelAccuracy, resumed.pixelAccuracy)
        XCTAssertEqual(straight.trainingHistory.map(\.meanLoss), resumed.trainingHistory.map(\.meanLoss))
        XCTAssertEqual(straight.trainingHistory.map(\.mIoU), resumed.trainingHistory.map(\.mIoU))
    }

    func testInterruptedFewShotResumesBitwise() throws {
        // Stop right after an epoch end (features just regenerated with new noise).
        let params = JobParameters(["G": "fixture_stylegan2_r32", "num_sample": "2", "epochs": "3", "steps_per_epoch": "4",
                                    "eval_samples": "3"])
        let (straight, _) = try runWithStops(.trainFewshot, params, root: try Fixture.tempDir("f0")) { _ in false }
        var fired = false
        let (resumed, stops) = try runWithStops(.trainFewshot, params, root: try Fixture.tempDir("f1")) { p in
            guard p.phase == .training, p.step == 5, !fired else { return false }
            fired = true
            return true
        }
        XCTAssertEqual(stops, 1)
        assertBitwiseEqual(try extractorParameters(straight), try extractorParameters(resumed))
        XCTAssertEqual(straight.classIoU, resumed.classIoU)
        XCTAssertEqual(straight.pixelAccuracy, resumed.pixelAccuracy)
    }

    func testFinishedJobReturnsItsReportFromTheCheckpoint() throws {
        let registry = try Fixture.registry()
        let store = MemoryCheckpointer()
        let params = tinyTrain(["epochs": "1", "steps_per_epoch": "2", "eval_samples": "1"])
        let first = try Jobs.run(kind: .train, parameters: params, registry: registry, context: JobRunContext(checkpointer: store))
        var steps = 0
        let second = try Jobs.run(kind: .train, parameters: params, registry: registry,
                                  context: JobRunContext(checkpointer: store, progress: { _ in steps += 1 }))
        XCTAssertEqual(steps, 0)
        XCTAssertEqual(first, second)
        // Another job's checkpoint is refused.
        XCTAssertThrowsError(try Jobs.run(kind: .train, parameters: tinyTrain(["epochs": "3"]), registry: registry,
                                          context: JobRunContext(checkpointer: store))) { e in
            guard case .checkpointMismatch? = e as? JobError else { return XCTFail("\(e)") }
            XCTAssertTrue("\(e)".contains("epochs"), "\(e)")
        }
    }

    /// A checkpoint written before a parameter joined the kind's table does
    /// not record it: it resumes when the job has that parameter at its
    /// default, and is refused when the job gives another value.
    func testCheckpointWithoutANewParameterResumesAtItsDefault() throws {
        let record = try TrainOptions(tinyTrain()).record
        XCTAssertEqual(record["eval"], "1")  // a table parameter outside the decoded fields, recorded from the table
        var old = record
        old["eval"] = nil
        let store = MemoryCheckpointer()
        try store.save(JobState(kind: .train, name: "x", record: old).encode(extractor: nil, optimizer: nil))
        let ctx = JobRunContext(checkpointer: store)
        XCTAssertNotNil(try JobSession.savedState(ctx, kind: .train, record: record))
        var other = record
        other["eval"] = "0"
        XCTAssertThrowsError(try JobSession.savedState(ctx, kind: .train, record: other)) { e in
            XCTAssertTrue("\(e)".contains("eval - vs 0"), "\(e)")
        }
        old["epochs"] = nil  // tinyTrain's 2 epochs are not the default 50: refused
        try store.save(JobState(kind: .train, name: "x", record: old).encode(extractor: nil, optimizer: nil))
        XCTAssertThrowsError(try JobSession.savedState(ctx, kind: .train, record: record)) { e in
            XCTAssertTrue("\(e)".contains("epochs - vs 2"), "\(e)")
        }
    }

    func testCheckpointStateRoundTrip() throws {
        var r = SeededRandom(seed: 42)
        _ = r.normal()  // leaves a spare normal
        let s = RandomState(r)
        XCTAssertEqual(try s.restored(), r)
    }

    func testCheckpointPolicyIsDueByIntervalOrStepMultiple() {
        let both = CheckpointPolicy(intervalSeconds: 60, everySteps: 5)
        XCTAssertFalse(both.isDue(completedSteps: 3, secondsSinceLast: 10))
        XCTAssertTrue(both.isDue(completedSteps: 3, secondsSinceLast: 60))
        XCTAssertTrue(both.isDue(completedSteps: 10, secondsSinceLast: 0))
        let never = CheckpointPolicy(intervalSeconds: nil, everySteps: nil)
        XCTAssertFalse(never.isDue(completedSteps: 100, secondsSinceLast: 1e9))
        XCTAssertFalse(CheckpointPolicy(intervalSeconds: nil, everySteps: 0).isDue(completedSteps: 0, secondsSinceLast: 0))
    }
}
