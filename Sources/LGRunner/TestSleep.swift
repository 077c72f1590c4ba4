// test_sleep: a short fake job for the live tests and the benchmark. Only
// registered with LINEARGAN_TEST_KINDS=1 and refused by every grid in jobs/.
//
// Parameters: steps (10), step_ms (20), checkpoint_every (0 = never),
// fail_at (step at which it throws; -1 never), crash_at (step at which the
// process aborts; -1 never) with crash_attempts (crash only while attempt
// <= this; default 1), value (metric "value", default 1), echo (a text
// returned as the result's provenance "echo").
// Metrics: value, steps, resumed_from (the step a checkpoint resumed at), attempt.
import Foundation

public struct TestSleepExecutor: JobExecutor {
    public init() {}

    public func run(job: JobSpec, context: JobContext) throws -> JobResult {
        let steps = job.int("steps", default: 10), ms = job.int("step_ms", default: 20)
        let every = job.int("checkpoint_every", default: 0)
        let failAt = job.int("fail_at", default: -1), crashAt = job.int("crash_at", default: -1)
        let crashAttempts = job.int("crash_attempts", default: 1)
        var start = 0
        if let d = try context.loadCheckpoint(), let s = Int(String(decoding: d, as: UTF8.self)) { start = s }
        var reporter = StepProgress(context)
        var step = start
        while step < steps {
            if context.isCancelled {
                try context.saveCheckpoint(Data(String(step).utf8))
                throw JobCancelled()
            }
            if step == crashAt && job.attempt <= crashAttempts { context.log("test_sleep: crashing at step \(step)"); abort() }
            if step == failAt { throw NSError(domain: "test_sleep", code: 1, userInfo: [NSLocalizedDescriptionKey: "test_sleep: failing at step \(step) as asked"]) }
            Thread.sleep(forTimeInterval: Double(ms) / 1000)
            step += 1
            reporter.report(fraction: Double(step) / Double(max(1, steps)), phase: "sleeping", step: step, total: steps,
                            note: "step \(step)/\(steps)")
            if every > 0 && step % every == 0 && step < steps { try context.saveCheckpoint(Data(String(step).utf8)) }
        }
        return JobResult(metrics: ["value": job.double("value", default: 1), "steps": Double(steps),
                                   "resumed_from": Double(start), "attempt": Double(job.attempt)],
                         provenance: job.params["echo"]?.stringValue.map { ["echo": $0] } ?? [:])
    }
}
