import XCTest
import LGJobKinds
import LGTensor
import LGModels
@testable import LGJobs

/// Fused cells: `train` jobs of one generator and seed run in one loop on
/// one generator and predictor pass per step, with the results of running
/// them one by one.
final class TrainCellTests: XCTestCase {
    func options(_ extra: [String: String]) throws -> TrainOptions {
        try TrainOptions(tinyTrain(["epochs": "2", "steps_per_epoch": "5", "accumulation": "0:1,1:2", "eval_samples": "3"]
            .merging(extra) { $1 }))
    }

    /// The models of the fixture generator; `noise`: with randomised noise
    /// (the cell must keep the generator's noise stream where each job's is).
    func models(noise: Bool) throws -> JobModels {
        try JobModels.load(ModelChoice(generator: "fixture_stylegan2_r32"), registry: Fixture.registry(),
                           options: GeneratorOptions(randomizeNoise: noise ? true : nil))
    }

    func assertSame(_ a: JobReport, _ b: JobReport, _ what: String, file: StaticString = #filePath, line: UInt = #line) throws {
        assertBitwiseEqual(try extractorParameters(a), try extractorParameters(b), file: file, line: line)
        XCTAssertEqual(a.classIoU, b.classIoU, what, file: file, line: line)
        XCTAssertEqual(a.pixelAccuracy, b.pixelAccuracy, what, file: file, line: line)
        XCTAssertEqual(a.trainingHistory.map(\.meanLoss), b.trainingHistory.map(\.meanLoss), what, file: file, line: line)
        XCTAssertEqual(a.trainingHistory.map(\.mIoU), b.trainingHistory.map(\.mIoU), what, file: file, line: line)
    }

    func testACellGivesTheResultsOfItsJobsRunOneByOne() throws {
        for noise in [false, true] {
            // Different extractors, learning rates, step counts, evaluation sizes and strategies in one cell.
            let all = [try options(["SE": "LSE"]), try options(["SE": "NSE-1", "lr": "0.01", "epochs": "3"]),
                       try options(["SE": "NSE-2", "eval_samples": "5"]),
                       try options(["SE": "LSE", "lr": "0.002", "eval_latent_strategy": "notrunc-wp"])]
            XCTAssertEqual(Set(all.map { Jobs.cellKey($0) }).count, 1)
            let alone = try all.map { o in
                try Jobs.train(o, models: models(noise: noise), outputs: JobOutputs(root: Fixture.tempDir("alone")))
            }
            let root = try Fixture.tempDir("cell")
            let cell = Jobs.trainCell(all.map { Jobs.CellMember(options: $0, outputs: JobOutputs(root: root)) },
                                      models: try models(noise: noise))
            for (a, c) in zip(alone, cell) { try assertSame(a, try c.get(), "noise \(noise)") }
        }
    }

    func testJobsResumingAtDifferentStepsJoinTheStreamWhereTheyStopped() throws {
        let lse = try options(["SE": "LSE"]), nse = try options(["SE": "NSE-1"]), nse2 = try options(["SE": "NSE-2"])
        let straight = try [lse, nse, nse2].map {
            try Jobs.train($0, models: models(noise: true), outputs: JobOutputs(root: Fixture.tempDir("s")))
        }
        // NSE-1 stopped after 7 training steps (a checkpoint every 3), NSE-2
        // after 2 of its evaluation samples (one check per step and sample), LSE fresh.
        func stopped(_ o: TrainOptions, after checks: Int) throws -> MemoryCheckpointer {
            let store = MemoryCheckpointer()
            var n = 0
            let stopping = JobRunContext(checkpointer: store, policy: CheckpointPolicy(intervalSeconds: nil, everySteps: 3),
                                         isCancelled: { n += 1; return n > checks })
            XCTAssertThrowsError(try Jobs.train(o, models: models(noise: true), context: stopping,
                                                outputs: JobOutputs(root: Fixture.tempDir("p"))))
            return store
        }
        let resumed = [try stopped(nse, after: 7), try stopped(nse2, after: 12)].map {
            JobRunContext(checkpointer: $0, policy: CheckpointPolicy(intervalSeconds: nil, everySteps: 3))
        }
        let root = try Fixture.tempDir("join")
        let cell = Jobs.trainCell([Jobs.CellMember(options: lse, outputs: JobOutputs(root: root)),
                                   Jobs.CellMember(options: nse, context: resumed[0], outputs: JobOutputs(root: root)),
                                   Jobs.CellMember(options: nse2, context: resumed[1], outputs: JobOutputs(root: root))],
                                  models: try models(noise: true))
        try assertSame(straight[0], try cell[0].get(), "fresh")
        try assertSame(straight[1], try cell[1].get(), "resumed at training step 7")
        try assertSame(straight[2], try cell[2].get(), "resumed at evaluation sample 2")
    }

    func testACancelledOrForeignJobLeavesTheOthersRunning() throws {
        let lse = try options(["SE": "LSE"]), nse = try options(["SE": "NSE-1"])
        let foreign = try options(["SE": "LSE", "seed": "8"])
        XCTAssertNotEqual(Jobs.cellKey(lse), Jobs.cellKey(foreign))
        let straight = try Jobs.train(lse, models: models(noise: false), outputs: JobOutputs(root: Fixture.tempDir("s")))
        let store = MemoryCheckpointer()
        var n = 0
        let cancelled = JobRunContext(checkpointer: store, policy: CheckpointPolicy(intervalSeconds: nil),
                                      isCancelled: { n += 1; return n > 4 })
        let root = try Fixture.tempDir("mixed")
        let cell = Jobs.trainCell([Jobs.CellMember(options: lse, outputs: JobOutputs(root: root)),
                                   Jobs.CellMember(options: nse, context: cancelled, outputs: JobOutputs(root: root)),
                                   Jobs.CellMember(options: foreign, outputs: JobOutputs(root: root))],
                                  models: try models(noise: false))
        try assertSame(straight, try cell[0].get(), "the job left running")
        XCTAssertThrowsError(try cell[1].get()) { e in
            guard case JobError.cancelled(_, let step)? = e as? JobError else { return XCTFail("\(e)") }
            XCTAssertEqual(step, 4)
        }
        XCTAssertEqual(store.count, 1, "the cancelled job checkpointed where it stopped")
        XCTAssertThrowsError(try cell[2].get()) { e in XCTAssertTrue("\(e)".contains("the same samples"), "\(e)") }
    }

    func testTheCellKeyIsTheSampleStream() throws {
        let base = try options([:])
        XCTAssertEqual(Jobs.cellKey(base), Jobs.cellKey(try options(["SE": "NSE-2", "lr": "0.1", "loss_type": "focal", "layers": "1,2"])))
        for change in [["seed": "9"], ["latent_strategy": "notrunc-wp"], ["winograd": "off"], ["label_resolution": "16"]] {
            XCTAssertNotEqual(Jobs.cellKey(base), Jobs.cellKey(try options(change)), "\(change)")
        }
        // A default given explicitly is the same cell.
        XCTAssertEqual(JobKind.train.table.cellKey(["G": "g"]), JobKind.train.table.cellKey(["G": "g", "seed": "0", "full_label": "0"]))
        XCTAssertNil(JobKind.trainFewshot.table.cellKey(["G": "g"]))
    }
}
