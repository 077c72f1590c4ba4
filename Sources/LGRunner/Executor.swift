// The job-execution API. A job kind is a type conforming to JobExecutor,
// registered under its kind name in a JobRegistry (the worker's registry is
// Sources/worker/JobKinds.swift). Each job runs in a child process
// (`worker exec-job`), so a crash cannot take the worker down.
import Foundation
import LGWire
import LGJobKinds

/// What a job is: handed to the executor in the child process.
public struct JobSpec: Codable, Sendable {
    public var id: Int
    public var key: String
    public var grid: String
    public var kind: String
    public var params: [String: JSONValue]
    /// 1 for the first attempt.
    public var attempt: Int
    /// Folder for this job's files (created before the job starts).
    public var workDirectory: String
    /// The latest checkpoint downloaded from the coordinator (resume), if any.
    public var resumeCheckpoint: String?
    /// The final checkpoints of the jobs this one depends on, downloaded
    /// from the coordinator (e.g. the few-shot extractor of an `scs` job).
    public var dependencyCheckpoints: [String]? = nil

    public init(id: Int, key: String, grid: String, kind: String, params: [String: JSONValue], attempt: Int,
                workDirectory: String, resumeCheckpoint: String? = nil) {
        self.id = id; self.key = key; self.grid = grid; self.kind = kind; self.params = params
        self.attempt = attempt; self.workDirectory = workDirectory; self.resumeCheckpoint = resumeCheckpoint
    }

    /// The parameters as canonical JSON (to decode into another module's types).
    public var paramsJSON: Data { Data(JSONValue.canonical(.object(params)).utf8) }
}

/// A job's outcome: its metric set (stored atomically with `succeeded`).
public struct JobResult: Sendable, Equatable {
    public var metrics: [String: Double]
    /// Text facts the metrics were made with (e.g. `predictor`: the
    /// registered predictor that labelled the job's images), stored beside them.
    public var provenance: [String: String]
    public init(metrics: [String: Double] = [:], provenance: [String: String] = [:]) {
        self.metrics = metrics; self.provenance = provenance
    }
}

/// Services a running job gets.
public protocol JobContext: AnyObject {
    /// The job's folder (same as `JobSpec.workDirectory`).
    var workDirectory: URL { get }
    /// Fraction done in 0...1, an optional rate (steps/s), a short note and
    /// the seconds left if the job can tell; sent with the next heartbeat
    /// and shown by `coordinator status` and the worker's progress line.
    func reportProgress(_ fraction: Double, rate: Double?, note: String?, etaSeconds: Double?)
    /// Saves a checkpoint (atomically, in the work folder); the worker
    /// uploads it to the coordinator. Call every few minutes of work.
    func saveCheckpoint(_ data: Data) throws
    /// The latest checkpoint of an earlier attempt of this job, if any.
    func loadCheckpoint() throws -> Data?
    /// True once the job should stop (cancelled, or the worker is shutting
    /// down): save a checkpoint and throw `JobCancelled`.
    var isCancelled: Bool { get }
    /// A line for the job's log (stderr; its tail becomes the error on failure).
    func log(_ line: String)
    /// Saves a named file of the job (`label_sheet.png`: 1-40 of a-z, 0-9,
    /// _; .png, .svg or .json; at most 16 MiB); the worker uploads it to the
    /// coordinator, which keeps it beside the job's checkpoint (the dashboard shows it).
    func saveArtifact(name: String, data: Data) throws
    /// Metric rows while the job runs (training-curve points `NAME@STEP`):
    /// sent to the coordinator at once; the job's final result replaces them.
    func reportMetrics(_ metrics: [String: Double])
}

public extension JobContext {
    func reportProgress(_ fraction: Double) { reportProgress(fraction, rate: nil, note: nil, etaSeconds: nil) }
    func reportProgress(_ fraction: Double, rate: Double?, note: String?) {
        reportProgress(fraction, rate: rate, note: note, etaSeconds: nil)
    }
}

/// Thrown by an executor that stopped because `isCancelled` became true.
public struct JobCancelled: Error {
    public init() {}
}

/// A job kind.
public protocol JobExecutor: Sendable {
    /// Runs the job to completion (synchronously, in the child process).
    /// Throw to fail the attempt: the error text becomes the job's error.
    func run(job: JobSpec, context: JobContext) throws -> JobResult
}

/// A closure as an executor: `JobRegistry(["k": AnyJobExecutor { job, ctx in ... }])`.
public struct AnyJobExecutor: JobExecutor {
    let body: @Sendable (JobSpec, JobContext) throws -> JobResult
    public init(_ body: @escaping @Sendable (JobSpec, JobContext) throws -> JobResult) { self.body = body }
    public func run(job: JobSpec, context: JobContext) throws -> JobResult { try body(job, context) }
}

/// Kind name -> executor.
public struct JobRegistry: Sendable {
    public private(set) var executors: [String: JobExecutor]

    /// `testKinds`: add the test-only kinds (see `TestSleepExecutor`); by
    /// default only when LINEARGAN_TEST_KINDS=1 is set.
    public init(_ executors: [JobKind: JobExecutor], testKinds: Bool = JobKind.testKindsEnabled) {
        self.executors = Dictionary(uniqueKeysWithValues: executors.map { ($0.key.rawValue, $0.value) })
        if testKinds { self.executors[JobKind.testSleep.rawValue] = TestSleepExecutor() }
    }

    public var kinds: [String] { executors.keys.sorted() }
    public subscript(kind: String) -> JobExecutor? { executors[kind] }
}
