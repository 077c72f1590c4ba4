// Which job kinds a grid may name. Test-only kinds (short fake jobs for the
// live tests) are refused unless LINEARGAN_TEST_KINDS=1 is set, so no grid in
// jobs/ can reach them.
import Foundation

public enum JobKindCatalog {
    /// Kinds that real workers run (implemented against LGRunner.JobExecutor).
    public static let production: [String] = ["train", "train_fewshot", "evaluate", "scs", "train_gan", "train_segmenter"]
    /// Kinds that exist only for tests and benchmarks.
    public static let testOnly: [String] = ["test_sleep"]

    public static var testKindsEnabled: Bool {
        ProcessInfo.processInfo.environment["LINEARGAN_TEST_KINDS"] == "1"
    }

    public static var allowed: [String] { production + (testKindsEnabled ? testOnly : []) }

    /// Parameters `coordinator enqueue --set` may add to a grid's jobs of a
    /// kind although the grid file does not name them (run-time choices that
    /// make a different run, so a different job key).
    /// `predictor` names a registered predictor to label with instead of
    /// the generator's (reproducing tables made under another one).
    /// `memory_mb` is the job's expected peak memory (the worker's memory gate).
    public static let addableParameters: [String: [String]] = [
        "train": ["winograd", "predictor", "memory_mb"],
        "train_fewshot": ["winograd", "predictor", "memory_mb"],
        "evaluate": ["predictor", "memory_mb"],
        "scs": ["predictor"],
    ]

    /// Addable parameters that a grid's `needs` inherit: the needed grid's
    /// jobs get them too where their kind takes them.
    public static let inheritedByNeeds: Set<String> = ["predictor"]
}
