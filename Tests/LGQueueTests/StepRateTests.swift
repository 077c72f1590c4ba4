import XCTest
import LGRunner
import LGStore

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
        XCTAssertEqual(DurationText.short(990), "16m")
        XCTAssertEqual(DurationText.short(5400), "1.5h")
    }

    /// StepProgress sends the fraction, the measured rate and the seconds left as a field.
    func testStepProgressReportsRateAndETA() {
        final class Recorder: JobContext {
            var reports: [(Double, Double?, String?, Double?)] = []
            let workDirectory = URL(fileURLWithPath: "/tmp")
            func reportProgress(_ fraction: Double, rate: Double?, note: String?, etaSeconds: Double?) {
                reports.append((fraction, rate, note, etaSeconds))
            }
            func saveCheckpoint(_ data: Data) throws {}
            func loadCheckpoint() throws -> Data? { nil }
            var isCancelled: Bool { false }
            func log(_ line: String) {}
            func saveArtifact(name: String, data: Data) throws {}
            func reportMetrics(_ metrics: [String: Double]) {}
        }
        let context = Recorder()
        var t = 100.0
        var p = StepProgress(context, now: { t })
        p.report(fraction: 0.1, phase: "training", step: 10, total: 100, note: "a")
        t = 110
        p.report(fraction: 0.2, phase: "training", step: 20, total: 100, note: "b")
        XCTAssertEqual(context.reports.count, 2)
        XCTAssertNil(context.reports[0].1)
        XCTAssertNil(context.reports[0].3)
        XCTAssertEqual(context.reports[1].0, 0.2)
        XCTAssertEqual(context.reports[1].1!, 1, accuracy: 1e-9)
        XCTAssertEqual(context.reports[1].2, "b")
        XCTAssertEqual(context.reports[1].3!, 80, accuracy: 1e-9)
    }
}
