// test_sleep: a short fake job for the live tests and the benchmark. Only
// registered with LINEARGAN_TEST_KINDS=1 and refused by every grid in jobs/.
//
// Parameters and metrics: its table, LGJobKinds/Kinds/TestSleep.swift.
import Foundation
import LGJobKinds

/// A `test_sleep` job's parameters, decoded through its table.
public struct TestSleepOptions: Sendable {
    /// The job's parameters as its table checks them (a parameter added to
    /// the table later is read from here where it acts).
    public var parameters: KindParameters
    public var steps, stepMilliseconds, checkpointEvery, failAt, crashAt, crashAttempts: Int
    public var reportThreads: Bool
    public var value: Double
    public var echo: String?

    public init(_ p: KindParameters) throws {
        parameters = p
        steps = try p.int("steps"); stepMilliseconds = try p.int("step_ms")
        checkpointEvery = try p.int("checkpoint_every")
        failAt = try p.int("fail_at"); crashAt = try p.int("crash_at")
        crashAttempts = try p.int("crash_attempts")
        value = try p.number("value"); echo = try p.optionalText("echo")
        reportThreads = try p.flag("report_threads")
    }
}

public struct TestSleepExecutor: JobExecutor {
    public init() {}

    public func run(job: JobSpec, context: JobContext) throws -> JobResult {
        let o = try TestSleepOptions(JobKind.testSleep.table.validate(json: job.params))
        let steps = o.steps, ms = o.stepMilliseconds, every = o.checkpointEvery
        let failAt = o.failAt, crashAt = o.crashAt, crashAttempts = o.crashAttempts
        let value = o.value, echo = o.echo
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
            context.log("test_sleep: step \(step)/\(steps)")
            context.reportMetrics([MetricKey.atStep("value", step): value])
            reporter.report(fraction: Double(step) / Double(max(1, steps)), phase: "sleeping", step: step, total: steps,
                            note: "step \(step)/\(steps)")
            if every > 0 && step % every == 0 && step < steps { try context.saveCheckpoint(Data(String(step).utf8)) }
        }
        var metrics = ["value": value, "steps": Double(steps), "resumed_from": Double(start), "attempt": Double(job.attempt)]
        if o.reportThreads {
            metrics["threads"] = Double(ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"].flatMap(Int.init) ?? 0)
        }
        return JobResult(metrics: metrics,
                         provenance: echo.map { ["echo": $0] } ?? [:])
    }
}
