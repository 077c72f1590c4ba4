// The job kinds: one enum, and per kind one table (Kinds/*.swift) of its
// parameters and metric keys. Grid expansion validates against the tables at
// enqueue, the worker's executors decode typed options through them, and the
// coordinator, run-local, the collector and the dashboard read kinds,
// defaults and metric keys from them. Foundation and LGWire only: the
// coordinator links it without numeric code.
import Foundation

/// Every kind of job the queue runs.
public enum JobKind: String, CaseIterable, Codable, Sendable, CustomStringConvertible {
    /// LSE / NSE-1 / NSE-2 training and evaluation (experiments.md "Job: train").
    case train
    /// Few-shot LSE training from N labelled samples.
    case trainFewshot = "train_fewshot"
    /// Evaluation of a trained extractor.
    case evaluate
    /// Semantic-conditional sampling.
    case scs
    /// Training one generator of the embedded zoo.
    case trainGAN = "train_gan"
    /// Training one domain's segmenter of the embedded zoo.
    case trainSegmenter = "train_segmenter"
    /// A short fake job for the live tests and benchmarks (LINEARGAN_TEST_KINDS=1).
    case testSleep = "test_sleep"

    public var description: String { rawValue }

    /// The kind's table: parameters, presets, metric keys.
    public var table: KindTable {
        switch self {
        case .train: return KindTables.train
        case .trainFewshot: return KindTables.trainFewshot
        case .evaluate: return KindTables.evaluate
        case .scs: return KindTables.scs
        case .trainGAN: return KindTables.trainGAN
        case .trainSegmenter: return KindTables.trainSegmenter
        case .testSleep: return KindTables.testSleep
        }
    }

    /// Kinds that exist only for tests and benchmarks: refused by grid
    /// expansion unless LINEARGAN_TEST_KINDS=1 is set, so no grid in jobs/
    /// can reach them.
    public var isTestOnly: Bool { self == .testSleep }

    /// The kinds real workers run.
    public static var production: [JobKind] { allCases.filter { !$0.isTestOnly } }

    public static var testKindsEnabled: Bool {
        ProcessInfo.processInfo.environment["LINEARGAN_TEST_KINDS"] == "1"
    }

    /// The kinds a grid may name here (test kinds with LINEARGAN_TEST_KINDS=1).
    public static var allowed: [JobKind] { allCases.filter { !$0.isTestOnly || testKindsEnabled } }

    /// A kind by name, or an error listing the allowed ones.
    public static func named(_ name: String) throws -> JobKind {
        guard let k = JobKind(rawValue: name), allowed.contains(k) else {
            throw ParameterError.unknownKind(name, allowed: allowed.map(\.rawValue))
        }
        return k
    }
}
