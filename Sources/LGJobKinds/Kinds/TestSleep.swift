extension KindTables {
    /// `test_sleep`: a short fake job for the live tests and the benchmarks
    /// (LINEARGAN_TEST_KINDS=1 only). Other names (`i`,
    /// `round`) are ignored: they only make job keys differ.
    static let testSleep = KindTable(
        kind: .testSleep,
        summary: "a fake job that sleeps in steps (tests and benchmarks only)",
        parameters: [
            ParameterSpec("steps", .int(min: 0), default: "10", "steps"),
            ParameterSpec("step_ms", .int(min: 0), default: "20", "milliseconds per step"),
            ParameterSpec("checkpoint_every", .int(min: 0), default: "0", "checkpoint every this many steps (0: never)"),
            ParameterSpec("fail_at", .int(min: -1), default: "-1", "step at which it throws (-1: never)"),
            ParameterSpec("crash_at", .int(min: -1), default: "-1", "step at which the process aborts (-1: never)"),
            ParameterSpec("crash_attempts", .int(min: 0), default: "1", "crash only while the attempt is at most this"),
            ParameterSpec("value", .number, default: "1", "the metric 'value'"),
            ParameterSpec("echo", .text, "a text returned as the result's provenance 'echo'"),
            ParameterSpec("report_threads", .flag, default: "0", "1: the metric 'threads'"),
        ],
        metrics: [
            MetricSpec("value", "the parameter value"),
            MetricSpec("steps", "steps run"),
            MetricSpec("resumed_from", "the step a checkpoint resumed at"),
            MetricSpec("attempt", "the attempt"),
            MetricSpec("threads", "the OPENBLAS_NUM_THREADS its worker gave it (0: unset), with report_threads 1"),
            MetricSpec("value@", perStep: true, "the value at each step, sent while the job runs"),
        ],
        ignoresUndeclared: true)
}
