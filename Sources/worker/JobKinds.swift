import LGRunner

/// The job kinds this worker runs. Registering a kind is one line below
/// (an executor conforms to LGRunner.JobExecutor). The test-only kind
/// `test_sleep` is added when LINEARGAN_TEST_KINDS=1.
let jobKinds: JobRegistry = {
    var kinds: [String: any JobExecutor] = [:]
    // kinds["train"] = TrainExecutor()
    // kinds["train_fewshot"] = FewShotExecutor()
    // kinds["evaluate"] = EvaluateExecutor()
    // kinds["scs"] = SCSExecutor()
    return JobRegistry(kinds)
}()
