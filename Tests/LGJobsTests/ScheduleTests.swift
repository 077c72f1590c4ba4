import XCTest
import LGJobKinds
import LGTensor
@testable import LGJobs

final class ScheduleTests: XCTestCase {
    func testReferenceAccumulation() {
        let s = AccumulationSchedule.reference
        XCTAssertEqual((0..<50).map { s.steps(atEpoch: $0) },
                       [1, 1] + [Int](repeating: 4, count: 16) + [Int](repeating: 64, count: 32))
        XCTAssertEqual(s.description, "0:1,2:4,18:64")
        // Full epochs of 1024 steps: 1024, 256 and 16 optimiser steps per epoch.
        for (epoch, updates) in [(0, 1024), (1, 1024), (2, 256), (17, 256), (18, 16), (49, 16)] {
            let n = (0..<1024).filter { s.updatesAfter(step: $0, stepsPerEpoch: 1024, epoch: epoch) }.count
            XCTAssertEqual(n, updates, "epoch \(epoch)")
        }
    }

    func testPartialGroupStepsAtEpochEnd() throws {
        let s = try AccumulationSchedule(parsing: "0:1,1:4")
        // 6 steps per epoch with 4-step groups: updates after steps 3 and 5 (last batch).
        XCTAssertEqual((0..<6).filter { s.updatesAfter(step: $0, stepsPerEpoch: 6, epoch: 1) }, [3, 5])
        XCTAssertEqual((0..<6).filter { s.updatesAfter(step: $0, stepsPerEpoch: 6, epoch: 0) }, [0, 1, 2, 3, 4, 5])
        XCTAssertEqual(AccumulationSchedule.constant(16).steps(atEpoch: 30), 16)
        XCTAssertThrowsError(try AccumulationSchedule(parsing: "0:x"))
        XCTAssertThrowsError(try AccumulationSchedule(parsing: "0:0"))
        XCTAssertEqual(try AccumulationSchedule(parsing: "2:4").description, "0:1,2:4")
    }

    func testLearningRateSchedule() {
        let s = LearningRateSchedule.reference
        XCTAssertEqual(s.factor(epoch: 0), 1)
        XCTAssertEqual(s.factor(epoch: 19), 1)
        XCTAssertEqual(s.factor(epoch: 20), 0.1, accuracy: 1e-7)
        XCTAssertEqual(s.factor(epoch: 49), 0.1, accuracy: 1e-7)
        // Applied to the two groups of the LSE optimiser (theta at 10x).
        let p = Variable(Tensor(zeros: [2]), requiresGrad: true), t = Variable(Tensor(zeros: [1]), requiresGrad: true)
        let opt = Adam([ParameterGroup([p], learningRate: 0.001), ParameterGroup([t], learningRate: 0.01)])
        s.apply(to: opt, epoch: 20)
        XCTAssertEqual(opt.groups[0].learningRate, 0.0001, accuracy: 1e-10)
        XCTAssertEqual(opt.groups[1].learningRate, 0.001, accuracy: 1e-9)
        s.apply(to: opt, epoch: 3)
        XCTAssertEqual(opt.groups[0].learningRate, 0.001)
        XCTAssertEqual(opt.groups[1].learningRate, 0.01)
    }

    func testTrainingUsesTheSchedules() throws {
        // 3 epochs of 6 steps, accumulation 1 then 4, lr x0.1 from epoch 2:
        // the recorded per-epoch learning rates follow the schedule.
        let r = try Jobs.run(kind: .train, parameters: tinyTrain(["epochs": "3", "steps_per_epoch": "6", "accumulation": "0:1,1:4",
                                                                   "milestones": "2", "eval_samples": "0"]),
                             registry: Fixture.registry())
        XCTAssertEqual(r.trainingHistory.map(\.epoch), [0, 1, 2])
        XCTAssertEqual(r.trainingHistory[0].learningRate, 0.001)
        XCTAssertEqual(r.trainingHistory[1].learningRate, 0.001)
        XCTAssertEqual(r.trainingHistory[2].learningRate, 0.0001, accuracy: 1e-10)
        XCTAssertNil(r.classIoU)
    }
}
