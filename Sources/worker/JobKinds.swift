import LGRunner

/// The job kinds this worker runs. Registering a kind is one line below
/// (an executor conforms to LGRunner.JobExecutor; see JobExecutors.swift).
/// The test-only kind `test_sleep` is added when LINEARGAN_TEST_KINDS=1.
let jobKinds: JobRegistry = {
    var kinds: [String: any JobExecutor] = [:]
    kinds["train"] = TrainingJobExecutor(kind: .train)
    kinds["train_fewshot"] = TrainingJobExecutor(kind: .trainFewshot)
    kinds["evaluate"] = TrainingJobExecutor(kind: .evaluate)
    kinds["scs"] = SCSJobExecutor()
    kinds["train_gan"] = GANJobExecutor()
    kinds["train_segmenter"] = SegmenterJobExecutor()
    return JobRegistry(kinds)
}()
