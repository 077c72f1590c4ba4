import LGRunner
import LGJobKinds

/// The executor of each job kind (LGJobKinds defines the kinds and their
/// parameters; an executor conforms to LGRunner.JobExecutor, see
/// JobExecutors.swift). The test-only kind `test_sleep` is added when
/// LINEARGAN_TEST_KINDS=1.
let jobExecutors: [JobKind: any JobExecutor] = [
    .train: TrainingJobExecutor(kind: .train),
    .trainFewshot: TrainingJobExecutor(kind: .trainFewshot),
    .evaluate: TrainingJobExecutor(kind: .evaluate),
    .scs: SCSJobExecutor(),
    .trainGAN: GANJobExecutor(),
    .trainSegmenter: SegmenterJobExecutor(),
]

let jobKinds = JobRegistry(jobExecutors)
