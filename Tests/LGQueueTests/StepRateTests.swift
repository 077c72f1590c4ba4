import XCTest
import LGRunner

final class StepRateTests: XCTestCase {
    /// A job resumed at step 9,000 reports the rate of this attempt, not 9,000 steps in its first seconds.
    func testRateIsMeasuredOverThisAttemptAndPhase() {
        var r = StepRate()
        XCTAssertNil(r.observe(phase: "training", step: 9000, total: 10000, now: 100).rate)
        let a = r.observe(phase: "training", step: 9010, total: 10000, now: 110)
        XCTAssertEqual(a.rate!, 1, accuracy: 1e-9)
        XCTAssertEqual(a.secondsLeft!, 990, accuracy: 1e-9)
        // A new phase starts a new measurement.
        XCTAssertNil(r.observe(phase: "evaluating", step: 0, total: 100, now: 120).rate)
        let b = r.observe(phase: "evaluating", step: 50, total: 100, now: 125)
        XCTAssertEqual(b.rate!, 10, accuracy: 1e-9)
        XCTAssertEqual(b.secondsLeft!, 5, accuracy: 1e-9)
        XCTAssertEqual(StepRate.duration(990), "16m")
        XCTAssertEqual(StepRate.duration(5400), "1.5h")
    }
}
